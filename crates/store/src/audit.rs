//! What keeps the history honest and the data accountable: signed
//! checkpoints of the hash chains and their verification, the access log,
//! the data-subject export, backups, and the consistency checks of `motcua check`.

use super::*;

macro_rules! audit_sql {
    ($db:ty) => {
        use super::*;
        use sqlx::Row;

        impl crate::Sql<$db> {
            /// A dossier's events as links: (seq, event id, link hash).
            pub async fn event_links(&self, dossier_id: i64) -> Result<Vec<(i64, i64, String)>> {
                Ok(sqlx::query_as("SELECT seq, id, COALESCE(hash, '') FROM dossier_events WHERE dossier_id = $1 ORDER BY seq")
                    .bind(dossier_id)
                    .fetch_all(&self.read)
                    .await?)
            }

            /// One page of the chains, in chain order, after (unit, seq).
            pub async fn chain_page(&self, after_unit: &str, after_seq: i64, limit: i64) -> Result<Vec<ChainRow>> {
                Ok(sqlx::query_as(
                    "SELECT e.unit_code, e.unit_seq, e.prev_hash, e.hash, d.code AS dossier_code, e.seq, e.at, e.actor, e.role, \
                     e.action, e.from_status, e.to_status, e.note, e.payload, f.due_at AS frozen_due, f.pause_remaining AS frozen_pause, \
                     f.mac AS frozen_mac FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id \
                     LEFT JOIN event_frozen f ON f.event_id = e.id \
                     WHERE e.unit_code > $1 OR (e.unit_code = $2 AND e.unit_seq > $3) ORDER BY e.unit_code, e.unit_seq LIMIT $4",
                )
                .bind(after_unit)
                .bind(after_unit)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.read)
                .await?)
            }

            /// One page of the second links (routing events in the competent
            /// unit's chain), in chain order, after (unit, seq).
            pub async fn second_link_page(&self, after_unit: &str, after_seq: i64, limit: i64) -> Result<Vec<ChainRow>> {
                Ok(sqlx::query_as(
                    "SELECT l.unit_code, l.unit_seq, l.prev_hash, l.hash, d.code AS dossier_code, e.seq, e.at, e.actor, e.role, \
                     e.action, e.from_status, e.to_status, e.note, e.payload, CAST(NULL AS BIGINT) AS frozen_due, \
                     CAST(NULL AS BIGINT) AS frozen_pause, CAST(NULL AS TEXT) AS frozen_mac \
                     FROM event_links l JOIN dossier_events e ON e.id = l.event_id JOIN dossiers d ON d.id = e.dossier_id \
                     WHERE l.unit_code > $1 OR (l.unit_code = $2 AND l.unit_seq > $3) ORDER BY l.unit_code, l.unit_seq LIMIT $4",
                )
                .bind(after_unit)
                .bind(after_unit)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.read)
                .await?)
            }

            /// Events outside any chain (written around the store), and the
            /// total of links (events and second links).
            pub async fn unchained_events(&self) -> Result<(i64, i64)> {
                let row = sqlx::query("SELECT COUNT(*), COALESCE(SUM(CASE WHEN hash IS NULL OR unit_code IS NULL THEN 1 ELSE 0 END), 0), \
                     (SELECT COUNT(*) FROM event_links) FROM dossier_events")
                    .fetch_one(&self.read)
                    .await?;
                let (events, links): (i64, i64) = (row.get(0), row.get(2));
                Ok((row.get(1), events + links))
            }

            pub async fn audit_heads(&self) -> Result<Vec<(String, i64, String)>> {
                Ok(sqlx::query_as("SELECT unit_code, seq, hash FROM audit_heads ORDER BY unit_code").fetch_all(&self.read).await?)
            }

            pub async fn add_checkpoint(&self, at: i64, heads: &str, mac: &str) -> Result<()> {
                sqlx::query("INSERT INTO audit_checkpoints (at, heads, mac) VALUES ($1, $2, $3)")
                    .bind(at)
                    .bind(heads)
                    .bind(mac)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            /// When the newest event of the history was taken (None: no event yet).
            pub async fn last_event_at(&self) -> Result<Option<i64>> {
                Ok(sqlx::query_scalar("SELECT MAX(at) FROM dossier_events").fetch_one(&self.write).await?)
            }

            pub async fn keyed_mark(&self) -> Result<Option<(i64, String, String)>> {
                Ok(sqlx::query_as("SELECT at, heads, mac FROM audit_keyed_from WHERE id = 1").fetch_optional(&self.write).await?)
            }

            /// Set the mark once; a second process setting it at the same time leaves the first.
            pub async fn add_keyed_mark(&self, at: i64, heads: &str, mac: &str) -> Result<()> {
                sqlx::query("INSERT INTO audit_keyed_from (id, at, heads, mac) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING")
                    .bind(at)
                    .bind(heads)
                    .bind(mac)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            pub async fn checkpoints(&self) -> Result<Vec<(i64, i64, String, String)>> {
                Ok(sqlx::query_as("SELECT id, at, heads, mac FROM audit_checkpoints ORDER BY id").fetch_all(&self.read).await?)
            }

            pub async fn log_access(&self, at: i64, username: &str, dossier_code: &str, what: &str) -> Result<()> {
                sqlx::query("INSERT INTO access_log (at, username, dossier_code, what) VALUES ($1, $2, $3, $4)")
                    .bind(at)
                    .bind(username)
                    .bind(dossier_code)
                    .bind(what)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            pub async fn access_log(&self, dossier_code: &str) -> Result<Vec<(i64, String, String)>> {
                Ok(sqlx::query_as("SELECT at, username, what FROM access_log WHERE dossier_code = $1 ORDER BY at, id")
                    .bind(dossier_code)
                    .fetch_all(&self.read)
                    .await?)
            }

            pub async fn codes_by_id_number(&self, id_number: &str) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT code FROM dossiers WHERE applicant_id_number = $1 ORDER BY id")
                    .bind(id_number)
                    .fetch_all(&self.read)
                    .await?)
            }

            pub async fn dossier_unit(&self, id: i64) -> Result<Option<(String, String, String, Option<i64>)>> {
                Ok(sqlx::query_as("SELECT unit_code, code, received_by, routed_at FROM dossiers WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?)
            }

            /// The chain of a dossier's first event, and the chains of its
            /// second links (a routing's, in the competent unit's chain).
            pub async fn dossier_chains(&self, dossier_id: i64) -> Result<(Option<String>, Vec<String>)> {
                let first: Option<Option<String>> =
                    sqlx::query_scalar("SELECT unit_code FROM dossier_events WHERE dossier_id = $1 AND seq = 1")
                        .bind(dossier_id)
                        .fetch_optional(&self.read)
                        .await?;
                let second: Vec<String> = sqlx::query_scalar(
                    "SELECT l.unit_code FROM event_links l JOIN dossier_events e ON e.id = l.event_id WHERE e.dossier_id = $1",
                )
                .bind(dossier_id)
                .fetch_all(&self.read)
                .await?;
                Ok((first.flatten(), second))
            }

            pub async fn count_dossiers(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dossiers").fetch_one(&self.read).await?)
            }

            pub async fn all_dossier_codes(&self) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT code FROM dossiers ORDER BY id").fetch_all(&self.read).await?)
            }

            /// Run SQL as it is (`Store::execute_raw`).
            pub(crate) async fn execute_raw(&self, sql: &str) -> Result<()> {
                let sql = sqlx::AssertSqlSafe(sql.to_string());
                sqlx::raw_sql(sql).execute(&self.write).await.map(|_| ())?;
                Ok(())
            }
        }
    };
}

mod sqlite {
    audit_sql!(sqlx::Sqlite);

    impl crate::Sql<sqlx::Sqlite> {
        /// Copy the database online into `dir` (`Store::backup`).
        pub(crate) async fn backup_database_into(
            &self,
            dir: &std::path::Path,
        ) -> crate::Result<()> {
            let target = dir.join("motcua.sqlite");
            sqlx::query("VACUUM INTO $1")
                .bind(target.display().to_string())
                .execute(&self.write)
                .await?;
            Ok(())
        }
    }
}

mod postgres {
    audit_sql!(sqlx::Postgres);

    impl crate::Sql<sqlx::Postgres> {
        /// A server's database is backed up by its own tools.
        pub(crate) async fn backup_database_into(
            &self,
            _dir: &std::path::Path,
        ) -> crate::Result<()> {
            Err(crate::StoreError::Config(
                "PostgreSQL: back up the database with pg_dump (see README), then copy the blobs folder".into(),
            ))
        }
    }
}

/// One page of every chain, in chain order: the events' own links merged
/// with the second links of routing events.
async fn chain_page(
    store: &Store,
    after_unit: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ChainRow>> {
    let own = on_db!(store, chain_page(after_unit, after_seq, limit))?;
    let second = on_db!(store, second_link_page(after_unit, after_seq, limit))?;
    if second.is_empty() {
        return Ok(own);
    }
    let mut all: Vec<ChainRow> = own.into_iter().chain(second).collect();
    all.sort_by(|a, b| (&a.unit_code, a.unit_seq).cmp(&(&b.unit_code, b.unit_seq)));
    all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(all)
}

impl Store {
    /// The audit key (`<data-dir>/audit.key`).
    pub(crate) fn audit_key(&self) -> Arc<Vec<u8>> {
        match &self.db {
            Db::Sqlite(inner) => Arc::clone(&inner.audit_key),
            Db::Postgres(inner) => Arc::clone(&inner.audit_key),
        }
    }

    /// Set, once per database, the mark after which every link must be
    /// keyed, signed with the audit key. Later opens check the signature: a
    /// process holding another `audit.key` would write links nobody can
    /// verify, so it is refused here.
    pub(crate) async fn mark_keyed_links(&self) -> Result<()> {
        let key = self.audit_key();
        if on_db!(self, keyed_mark())?.is_none() {
            let heads: Vec<(String, i64)> = on_db!(self, audit_heads())?
                .into_iter()
                .map(|(unit, seq, _)| (unit, seq))
                .collect();
            let text =
                serde_json::to_string(&heads).map_err(|e| StoreError::Config(e.to_string()))?;
            // The mark's time is informative only (what it proves is its
            // heads): the newest event it covers, so opening a database
            // reads no clock.
            let at = on_db!(self, last_event_at())?.unwrap_or(0);
            let mac = motcua_domain::audit::keyed_mark_mac(&key, at, &text);
            on_db!(self, add_keyed_mark(at, &text, &mac))?;
        }
        match on_db!(self, keyed_mark())? {
            Some((at, heads, mac))
                if motcua_domain::audit::keyed_mark_mac(&key, at, &heads) == mac =>
            {
                Ok(())
            }
            _ => Err(StoreError::Config(format!(
                "Khóa nhật ký {} không phải khóa đã ký lịch sử của cơ sở dữ liệu này; \
                 hãy đặt lại tệp từ bản sao lưu hoặc từ máy chủ cùng cơ sở dữ liệu \
                 (the audit key does not match the one this database's history and checkpoints were signed with)",
                secrets::AUDIT_KEY_FILE
            ))),
        }
    }

    /// Sign the current chain heads with the audit key: after this, no
    /// rewrite of history up to now can go unnoticed without the key.
    pub async fn audit_checkpoint(&self, now: OffsetDateTime) -> Result<usize> {
        let key = self.audit_key();
        let heads = on_db!(self, audit_heads())?;
        let text = serde_json::to_string(&heads).map_err(|e| StoreError::Config(e.to_string()))?;
        let at = model::to_ms(now);
        let mac = motcua_domain::audit::checkpoint_mac(&key, format!("{at}\n{text}").as_bytes());
        on_db!(self, add_checkpoint(at, &text, &mac))?;
        Ok(heads.len())
    }

    /// One unit's chain, in order: (dossier code, event seq, action) of
    /// each link.
    pub async fn chain_of(&self, unit: &str) -> Result<Vec<(String, i64, String)>> {
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let page = chain_page(self, unit, after, 5000).await?;
            let mine: Vec<&ChainRow> = page.iter().filter(|r| r.unit_code == unit).collect();
            let Some(last) = mine.last() else { break };
            after = last.unit_seq;
            out.extend(
                mine.iter()
                    .map(|r| (r.dossier_code.clone(), r.seq, r.action.clone())),
            );
        }
        Ok(out)
    }

    /// Walk every unit's chain: recompute each link (unkeyed before the
    /// keyed mark, keyed after it), find gaps, compare with the heads and
    /// with every signed checkpoint. Reports the first broken link of each chain.
    pub async fn audit_verify(&self) -> Result<AuditReport> {
        use std::collections::{BTreeMap, HashMap};
        let key = self.audit_key();
        let key = key.as_slice();
        let mut report = AuditReport::default();
        // Up to which link each chain may hold unkeyed links.
        let mut unkeyed_until: HashMap<String, i64> = HashMap::new();
        match on_db!(self, keyed_mark())? {
            Some((at, heads, mac))
                if motcua_domain::audit::keyed_mark_mac(key, at, &heads) == mac =>
            {
                let list: Vec<(String, i64)> = serde_json::from_str(&heads).unwrap_or_default();
                unkeyed_until.extend(list);
            }
            Some(_) => report.problems.push(
                "Mốc bắt đầu mắt xích có khóa: chữ ký không khớp (the keyed mark was altered)"
                    .to_string(),
            ),
            None => report.problems.push(
                "Mốc bắt đầu mắt xích có khóa bị mất (the keyed mark was deleted)".to_string(),
            ),
        }
        // What the checkpoints say each chain held at their time.
        let mut expected: HashMap<(String, i64), (i64, String)> = HashMap::new();
        for (id, at, heads, mac) in on_db!(self, checkpoints())? {
            report.checkpoints += 1;
            if motcua_domain::audit::checkpoint_mac(key, format!("{at}\n{heads}").as_bytes()) != mac
            {
                report.problems.push(format!(
                    "Điểm kiểm soát số {id}: chữ ký không khớp (checkpoint {id} was altered)"
                ));
                continue;
            }
            let list: Vec<(String, i64, String)> = serde_json::from_str(&heads).unwrap_or_default();
            for (unit, seq, hash) in list {
                expected.insert((unit, seq), (id, hash));
            }
        }
        let heads: BTreeMap<String, (i64, String)> = on_db!(self, audit_heads())?
            .into_iter()
            .map(|(u, s, h)| (u, (s, h)))
            .collect();
        let (unchained, total) = on_db!(self, unchained_events())?;
        if unchained > 0 {
            report.problems.push(format!(
                "{unchained} sự kiện nằm ngoài chuỗi băm (events outside any chain)"
            ));
        }
        let mut broken: HashSet<String> = HashSet::new();
        let mut last: HashMap<String, (i64, String)> = HashMap::new();
        let (mut after_unit, mut after_seq) = (String::new(), 0i64);
        loop {
            let page = chain_page(self, &after_unit, after_seq, 5000).await?;
            let Some(tail) = page.last() else { break };
            (after_unit, after_seq) = (tail.unit_code.clone(), tail.unit_seq);
            for r in &page {
                report.events += 1;
                if broken.contains(&r.unit_code) {
                    continue;
                }
                let (prev_seq, prev_hash) = last
                    .get(&r.unit_code)
                    .cloned()
                    .unwrap_or_else(|| (0, motcua_domain::audit::GENESIS.to_string()));
                // Read once: the content check and the recorded-facts check use it.
                let event = r.event().ok();
                let place = format!(
                    "đơn vị {} mắt xích {} (hồ sơ {}, sự kiện {})",
                    r.unit_code, r.unit_seq, r.dossier_code, r.seq
                );
                let problem = if r.unit_seq != prev_seq + 1 {
                    Some(format!(
                        "{place}: thiếu mắt xích {} (a link is missing)",
                        prev_seq + 1
                    ))
                } else if r.prev_hash.as_deref() != Some(prev_hash.as_str()) {
                    Some(format!(
                        "{place}: không nối với mắt xích trước (reordered or replaced)"
                    ))
                } else if r.unit_seq > unkeyed_until.get(&r.unit_code).copied().unwrap_or(0)
                    && !r
                        .hash
                        .as_deref()
                        .is_some_and(motcua_domain::audit::is_keyed)
                {
                    Some(format!(
                        "{place}: mắt xích sau mốc có khóa mà không có khóa (rewritten without the audit key)"
                    ))
                } else {
                    let link = motcua_domain::audit::Link {
                        unit_code: &r.unit_code,
                        unit_seq: r.unit_seq,
                        prev_hash: &prev_hash,
                        dossier_code: &r.dossier_code,
                    };
                    match (&event, r.hash.as_deref()) {
                        (Some(ev), Some(stored))
                            if motcua_domain::audit::link_holds(key, &link, ev, stored) =>
                        {
                            None
                        }
                        _ => Some(format!("{place}: nội dung đã bị sửa (content changed)")),
                    }
                };
                // Facts recorded beside an old event are bound to it by its hash.
                let problem = problem.or_else(|| {
                    let mac = r.frozen_mac.as_deref()?;
                    let expected = motcua_domain::audit::frozen_mac(
                        key,
                        r.hash.as_deref().unwrap_or(""),
                        r.frozen_due,
                        r.frozen_pause,
                    );
                    (!motcua_domain::audit::constant_time_eq(mac.as_bytes(), expected.as_bytes()))
                        .then(|| format!("{place}: hạn đã ghi bị sửa (recorded due date altered)"))
                });
                // An event that fixed a due date or paused minutes carries them
                // or has them recorded beside it: a deleted record is caught.
                let problem = problem.or_else(|| {
                    if r.frozen_mac.is_some() {
                        return None;
                    }
                    let ev = event.as_ref()?;
                    let carried =
                        ev.payload.due_at.is_some() || ev.payload.pause_remaining.is_some();
                    (ev.fixes_time() && !carried)
                        .then(|| format!("{place}: hạn đã ghi bị xóa (recorded due date deleted)"))
                });
                let problem =
                    problem.or_else(|| match expected.get(&(r.unit_code.clone(), r.unit_seq)) {
                        Some((id, h)) if Some(h.as_str()) != r.hash.as_deref() => Some(format!(
                            "{place}: khác điểm kiểm soát số {id} (history rewritten)"
                        )),
                        _ => None,
                    });
                match problem {
                    Some(p) => {
                        report.problems.push(p);
                        broken.insert(r.unit_code.clone());
                    }
                    None => {
                        last.insert(
                            r.unit_code.clone(),
                            (r.unit_seq, r.hash.clone().unwrap_or_default()),
                        );
                    }
                }
            }
        }
        // Links deleted at the end of a chain, or a chain gone.
        for (unit, (seq, hash)) in &heads {
            if broken.contains(unit) {
                continue;
            }
            match last.get(unit) {
                Some((s, h)) if s == seq && h == hash => {}
                Some((s, _)) => report.problems.push(format!("đơn vị {unit}: chuỗi dừng ở mắt xích {s}, đầu chuỗi ghi {seq} (links deleted at the end)")),
                None => report.problems.push(format!("đơn vị {unit}: mất toàn bộ chuỗi (chain deleted)")),
            }
        }
        for ((unit, seq), (id, _)) in &expected {
            if !broken.contains(unit) && last.get(unit).is_none_or(|(s, _)| s < seq) {
                report.problems.push(format!(
                    "đơn vị {unit}: mắt xích {seq} của điểm kiểm soát số {id} không còn (deleted)"
                ));
            }
        }
        report.units = heads.len();
        if report.events != total - unchained && unchained == 0 {
            report
                .problems
                .push("Số sự kiện trong chuỗi khác tổng số sự kiện".to_string());
        }
        report.problems.sort();
        report.problems.dedup();
        Ok(report)
    }

    /// Run SQL around every rule of the store. Only for tests that play an
    /// intruder with database access (tamper detection, crash recovery).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        on_db!(self, execute_raw(sql))
    }

    /// Record that a staff member read a dossier's personal data.
    pub async fn log_access(
        &self,
        username: &str,
        dossier_code: &str,
        what: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_db!(
            self,
            log_access(model::to_ms(now), username, dossier_code, what)
        )
    }

    /// Who read a dossier's personal data, oldest first: (instant ms, username, what).
    pub async fn access_log(&self, dossier_code: &str) -> Result<Vec<(i64, String, String)>> {
        on_db!(self, access_log(dossier_code))
    }

    /// Every dossier filed by the holder of an ID number, with its history
    /// and who read it: what the system holds about that person.
    pub async fn personal_data(&self, id_number: &str) -> Result<serde_json::Value> {
        let mut dossiers = Vec::new();
        for code in on_db!(self, codes_by_id_number(id_number))? {
            let Some(rec) = self.dossier(&code).await? else {
                continue;
            };
            let reads: Vec<serde_json::Value> = self
                .access_log(&code)
                .await?
                .into_iter()
                .map(|(at, who, what)| serde_json::json!({"at": from_ms(at).to_string(), "by": who, "what": what}))
                .collect();
            let payments: Vec<serde_json::Value> = self
                .payments(&code)
                .await?
                .into_iter()
                .map(|p| serde_json::json!({
                    "receipt": p.receipt, "method": p.method, "total_vnd": p.total_vnd, "lines": p.lines,
                    "paid_at": p.paid_at.to_string(), "paid_by": p.paid_by,
                    "voided_at": p.voided_at.map(|t| t.to_string()), "void_reason": p.void_reason,
                }))
                .collect();
            let r = &rec.row;
            dossiers.push(serde_json::json!({
                "code": r.code, "unit_code": r.unit_code, "procedure_code": r.procedure_code, "status": r.status,
                "applicant": {"full_name": r.applicant_name, "id_number": r.applicant_id_number, "date_of_birth": r.applicant_dob,
                              "phone": r.applicant_phone, "email": r.applicant_email, "address": r.applicant_address},
                "fields": serde_json::from_str::<serde_json::Value>(&r.fields).unwrap_or_default(),
                "events": rec.events, "documents": rec.documents, "read_by_staff": reads, "payments": payments,
            }));
        }
        Ok(serde_json::json!({ "id_number": id_number, "dossiers": dossiers }))
    }

    /// Back up the database and the document files into `dir` (a new or
    /// empty folder). SQLite is copied online with VACUUM INTO; document
    /// files never change once written, so copying them after is safe.
    pub async fn backup(&self, dir: &Path) -> Result<BackupReport> {
        std::fs::create_dir_all(dir)?;
        if std::fs::read_dir(dir)?.next().is_some() {
            return Err(StoreError::Config(format!(
                "{} is not empty",
                dir.display()
            )));
        }
        on_db!(self, backup_database_into(dir))?;
        let files = copy_tree(self.blobs.root(), &dir.join("blobs"))?;
        Ok(BackupReport {
            dossiers: self.count_dossiers().await?,
            files,
        })
    }

    /// The code of the dossier a document belongs to, if `user` may read
    /// the document: every document of their units' dossiers; for the unit
    /// that received a dossier routed elsewhere, the documents it took in
    /// up to the routing (Decree 118/2025, art. 14).
    pub async fn document_readable_by(
        &self,
        user: &User,
        dossier_id: i64,
        created_at: OffsetDateTime,
    ) -> Result<Option<String>> {
        let Some((unit, code, received_by, routed_at)) = on_db!(self, dossier_unit(dossier_id))?
        else {
            return Ok(None);
        };
        let taken_in = routed_at.is_some_and(|r| model::to_ms(created_at) <= r);
        let reads =
            user.reads_dossiers_of(&unit) || (taken_in && user.reads_dossiers_of(&received_by));
        Ok(reads.then_some(code))
    }

    pub async fn count_dossiers(&self) -> Result<i64> {
        on_db!(self, count_dossiers())
    }

    /// Refold a dossier's events and compare with its stored row: the row
    /// must be exactly the projection of its history.
    pub async fn check_consistency(&self, code: &str) -> Result<()> {
        let rec = self
            .dossier(code)
            .await?
            .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
        // The time limit the dossier was received under, whatever came since.
        let procedure = self.procedure_of(&rec.row).await?;
        let cal = self.calendar(Some(&rec.row.unit_code)).await?;
        let folded = Projection::fold(&rec.events, procedure.processing, &cal)?;
        let stored = rec.row.projection()?;
        if folded != stored || rec.row.late_from != folded.late_from().map(model::to_ms) {
            return Err(Problem::conflict(
                "inconsistent_dossier",
                format!(
                    "Hồ sơ {code}: dữ liệu lưu khác với lịch sử sự kiện ({stored:?} ≠ {folded:?})"
                ),
            )
            .into());
        }
        // Where it works: where its routing event sent it, or where it was received.
        let routed_to = rec
            .events
            .iter()
            .filter(|e| e.action == Action::Route)
            .find_map(|e| e.payload.to_unit.clone());
        let expected = routed_to.as_deref().unwrap_or(&rec.row.received_by);
        // The chains say the same: the first event in the receiving unit's,
        // the routing's second link in the competent unit's.
        let (first_chain, second) = on_db!(self, dossier_chains(rec.row.id))?;
        let chains_agree = first_chain
            .as_deref()
            .is_none_or(|u| u == rec.row.received_by)
            && match &routed_to {
                Some(to) => second == [to.clone()],
                None => second.is_empty(),
            };
        if expected != rec.row.unit_code
            || routed_to.is_some() != rec.row.routed_at.is_some()
            || !chains_agree
        {
            return Err(Problem::conflict(
                "inconsistent_dossier",
                format!(
                    "Hồ sơ {code}: đơn vị giải quyết {} khác với lịch sử chuyển hồ sơ ({expected})",
                    rec.row.unit_code
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Check every dossier; returns how many were checked.
    pub async fn check_all(&self) -> Result<usize> {
        let codes = on_db!(self, all_dossier_codes())?;
        for code in &codes {
            self.check_consistency(code).await?;
        }
        Ok(codes.len())
    }

    /// Dossiers stored before input was checked whose applicant name or
    /// address holds a character the documents cannot print (drawn as "?"):
    /// (code, the first such character), for an officer to correct.
    pub async fn unprintable_dossiers(&self) -> Result<Vec<(String, char)>> {
        let mut out = Vec::new();
        for code in on_db!(self, all_dossier_codes())? {
            if let Some(row) = self.dossier_row(&code).await?
                && let Some(c) = [row.applicant_name.as_str(), row.applicant_address.as_str()]
                    .iter()
                    .flat_map(|t| t.chars())
                    .find(|c| !motcua_domain::text::is_printable(*c))
            {
                out.push((code, c));
            }
        }
        Ok(out)
    }
}
