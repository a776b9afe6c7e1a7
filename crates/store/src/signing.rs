//! Certificates of the units' signing authorities, their revocations, and the
//! dossiers' electronic results (the attached document, then the signed PDF).
//! Cryptography lives in the signing crate; this module keeps what it makes
//! and checks who may do what (the domain's result-action table, own units
//! only). The SQL is written once in `signing_sql!` for both backends.

use crate::model::{from_ms, to_ms};
use crate::{Result, Store, human_size};
use motcua_domain::calendar::OffsetDateTime;
use motcua_domain::lifecycle::{
    Principal, ResultAction, Role, Status, result_roles, result_statuses,
};
use motcua_domain::{Problem, ProblemKind};
use serde::Serialize;

/// A certificate issued by a unit's authority (or the authority's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningCert {
    pub serial: String,
    pub unit_code: String,
    pub is_ca: bool,
    pub username: Option<String>,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    #[serde(skip)]
    pub cert_der: Vec<u8>,
    #[serde(skip)]
    pub sealed_key: Vec<u8>,
    pub issued_by: String,
    pub issued_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoke_reason: Option<String>,
    pub revoked_by: Option<String>,
}

/// A certificate to keep.
#[derive(Debug, Clone)]
pub struct NewCert {
    pub serial: String,
    pub unit_code: String,
    pub is_ca: bool,
    pub username: Option<String>,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub cert_der: Vec<u8>,
    pub sealed_key: Vec<u8>,
}

/// A dossier's electronic result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultDoc {
    pub dossier_id: i64,
    pub dossier_code: String,
    pub unit_code: String,
    pub status: String,
    pub original_sha256: String,
    pub original_size: i64,
    pub filename: Option<String>,
    pub attached_by: String,
    pub attached_at: OffsetDateTime,
    /// The id in the public verification address, once signed.
    pub public_id: Option<String>,
    pub signed_sha256: Option<String>,
    pub signed_size: Option<i64>,
    pub signed_by: Option<String>,
    pub signer_name: Option<String>,
    pub cert_serial: Option<String>,
    pub signed_at: Option<OffsetDateTime>,
}

/// What the leader's signing wrote.
#[derive(Debug, Clone)]
pub struct Signature {
    pub public_id: String,
    pub signed_sha256: String,
    pub signed_size: i64,
    pub cert_serial: String,
    pub signer_name: String,
}

/// A signature made for an approval, written in the approval's own
/// transaction (`Store::act_signed`): both, or neither.
#[derive(Debug, Clone)]
pub struct SignedResult {
    pub dossier_id: i64,
    /// The document signed: the one still attached, or the write fails.
    pub original_sha256: String,
    pub signature: Signature,
    pub by: String,
}

/// Record a signature on the result still attached and not yet signed:
/// $1 public id, $2 signed sha, $3 size, $4 signer's username, $5 name,
/// $6 certificate serial, $7 instant, $8 dossier id, $9 original sha.
pub(crate) const RECORD_SIGNATURE: &str = "UPDATE dossier_results SET public_id = $1, signed_sha256 = $2, \
     signed_size = $3, signed_by = $4, signer_name = $5, cert_serial = $6, signed_at = $7 \
     WHERE dossier_id = $8 AND original_sha256 = $9 AND signed_at IS NULL";

pub(crate) fn result_changed() -> crate::StoreError {
    Problem::conflict(
        "result_changed",
        "Văn bản kết quả vừa được thay đổi hoặc đã được ký; vui lòng tải lại (changed meanwhile)",
    )
    .into()
}

#[derive(sqlx::FromRow)]
struct CertRow {
    serial: String,
    unit_code: String,
    is_ca: bool,
    username: Option<String>,
    subject: String,
    not_before: i64,
    not_after: i64,
    cert_der: Vec<u8>,
    sealed_key: Vec<u8>,
    issued_by: String,
    issued_at: i64,
    revoked_at: Option<i64>,
    revoke_reason: Option<String>,
    revoked_by: Option<String>,
}

impl From<CertRow> for SigningCert {
    fn from(r: CertRow) -> Self {
        SigningCert {
            serial: r.serial,
            unit_code: r.unit_code,
            is_ca: r.is_ca,
            username: r.username,
            subject: r.subject,
            not_before: from_ms(r.not_before),
            not_after: from_ms(r.not_after),
            cert_der: r.cert_der,
            sealed_key: r.sealed_key,
            issued_by: r.issued_by,
            issued_at: from_ms(r.issued_at),
            revoked_at: r.revoked_at.map(from_ms),
            revoke_reason: r.revoke_reason,
            revoked_by: r.revoked_by,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ResultRow {
    dossier_id: i64,
    dossier_code: String,
    unit_code: String,
    status: String,
    original_sha256: String,
    original_size: i64,
    filename: Option<String>,
    attached_by: String,
    attached_at: i64,
    public_id: Option<String>,
    signed_sha256: Option<String>,
    signed_size: Option<i64>,
    signed_by: Option<String>,
    signer_name: Option<String>,
    cert_serial: Option<String>,
    signed_at: Option<i64>,
}

impl From<ResultRow> for ResultDoc {
    fn from(r: ResultRow) -> Self {
        ResultDoc {
            dossier_id: r.dossier_id,
            dossier_code: r.dossier_code,
            unit_code: r.unit_code,
            status: r.status,
            original_sha256: r.original_sha256,
            original_size: r.original_size,
            filename: r.filename,
            attached_by: r.attached_by,
            attached_at: from_ms(r.attached_at),
            public_id: r.public_id,
            signed_sha256: r.signed_sha256,
            signed_size: r.signed_size,
            signed_by: r.signed_by,
            signer_name: r.signer_name,
            cert_serial: r.cert_serial,
            signed_at: r.signed_at.map(from_ms),
        }
    }
}

const CERT_COLUMNS: &str = "serial, unit_code, is_ca, username, subject, not_before, not_after, cert_der, sealed_key, issued_by, issued_at, revoked_at, revoke_reason, revoked_by";

macro_rules! result_select {
    () => {
        "SELECT r.dossier_id, d.code AS dossier_code, d.unit_code, d.status, r.original_sha256, r.original_size, r.filename, \
         r.attached_by, r.attached_at, r.public_id, r.signed_sha256, r.signed_size, r.signed_by, r.signer_name, r.cert_serial, r.signed_at \
         FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id"
    };
}

fn not_signed_yet() -> Problem {
    Problem::conflict(
        "result_already_signed",
        "Văn bản kết quả đã được ký số; không thể thay đổi (already signed)",
    )
}

macro_rules! signing_sql {
    ($db:ty, $backend:ident) => {
        use super::*;

        type Db = $db;

        impl crate::Sql<Db> {
            pub(crate) async fn add_cert(&self, c: &NewCert, by: &str, now: OffsetDateTime) -> Result<()> {
                let mut tx = self.write.begin().await?;
                if c.is_ca {
                    let active: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM signing_certs WHERE unit_code = $1 AND is_ca = $2 AND revoked_at IS NULL",
                    )
                    .bind(&c.unit_code)
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                    if active > 0 {
                        return Err(Problem::conflict(
                            "ca_exists",
                            format!("Đơn vị {} đã có tổ chức chứng thực đang hoạt động; thu hồi nó trước khi tạo mới", c.unit_code),
                        )
                        .into());
                    }
                }
                sqlx::query(
                    "INSERT INTO signing_certs (serial, unit_code, is_ca, username, subject, not_before, not_after, cert_der, sealed_key, issued_by, issued_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&c.serial)
                .bind(&c.unit_code)
                .bind(c.is_ca)
                .bind(&c.username)
                .bind(&c.subject)
                .bind(to_ms(c.not_before))
                .bind(to_ms(c.not_after))
                .bind(&c.cert_der)
                .bind(&c.sealed_key)
                .bind(by)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn certs(&self, unit: Option<&str>) -> Result<Vec<SigningCert>> {
                let rows: Vec<CertRow> = match unit {
                    Some(u) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {CERT_COLUMNS} FROM signing_certs WHERE unit_code = $1 ORDER BY unit_code, issued_at, serial"
                    )))
                    .bind(u)
                    .fetch_all(&self.read)
                    .await?,
                    None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {CERT_COLUMNS} FROM signing_certs ORDER BY unit_code, issued_at, serial"
                    )))
                    .fetch_all(&self.read)
                    .await?,
                };
                Ok(rows.into_iter().map(Into::into).collect())
            }

            pub(crate) async fn cert(&self, serial: &str) -> Result<Option<SigningCert>> {
                let row: Option<CertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CERT_COLUMNS} FROM signing_certs WHERE serial = $1"
                )))
                .bind(serial)
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(Into::into))
            }

            pub(crate) async fn revoke_cert(&self, serial: &str, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE signing_certs SET revoked_at = $1, revoke_reason = $2, revoked_by = $3 WHERE serial = $4 AND revoked_at IS NULL",
                )
                .bind(to_ms(now))
                .bind(reason)
                .bind(by)
                .bind(serial)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn result_doc(&self, dossier_id: i64) -> Result<Option<ResultDoc>> {
                let row: Option<ResultRow> = sqlx::query_as(concat!(result_select!(), " WHERE r.dossier_id = $1"))
                    .bind(dossier_id)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(row.map(Into::into))
            }

            pub(crate) async fn result_by_signed_sha256(&self, sha256: &str) -> Result<Option<ResultDoc>> {
                let row: Option<ResultRow> = sqlx::query_as(concat!(result_select!(), " WHERE r.signed_sha256 = $1"))
                    .bind(sha256)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(row.map(Into::into))
            }

            pub(crate) async fn result_by_public_id(&self, id: &str) -> Result<Option<ResultDoc>> {
                let row: Option<ResultRow> = sqlx::query_as(concat!(result_select!(), " WHERE r.public_id = $1"))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(row.map(Into::into))
            }

            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn attach_result(
                &self,
                dossier_id: i64,
                sha: &str,
                size: i64,
                filename: Option<&str>,
                by: &str,
                now: OffsetDateTime,
                counters: &[(String, Vec<motcua_domain::index::Delta>)],
            ) -> Result<()> {
                let mut tx = self.write.begin().await?;
                // Two attachments at once (a double submit) wait here for each
                // other (a row lock on PostgreSQL), so only the first moves the counters.
                sqlx::query("UPDATE dossiers SET updated_at = updated_at WHERE id = $1")
                    .bind(dossier_id)
                    .execute(&mut *tx)
                    .await?;
                let first: Option<i64> = sqlx::query_scalar("SELECT dossier_id FROM dossier_results WHERE dossier_id = $1")
                    .bind(dossier_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                // Replacing is allowed until the document is signed.
                let done = sqlx::query(
                    "INSERT INTO dossier_results (dossier_id, original_sha256, original_size, filename, attached_by, attached_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (dossier_id) DO UPDATE SET original_sha256 = excluded.original_sha256, \
                     original_size = excluded.original_size, filename = excluded.filename, \
                     attached_by = excluded.attached_by, attached_at = excluded.attached_at \
                     WHERE dossier_results.signed_at IS NULL",
                )
                .bind(dossier_id)
                .bind(sha)
                .bind(size)
                .bind(filename)
                .bind(by)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(not_signed_yet().into());
                }
                // The first electronic result moves the index's counters, in its transaction.
                if first.is_none() {
                    for (unit, deltas) in counters {
                        crate::backend::$backend::add_counts(&mut tx, unit, deltas).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn record_signature(
                &self,
                dossier_id: i64,
                original_sha: &str,
                sig: &Signature,
                by: &str,
                now: OffsetDateTime,
            ) -> Result<()> {
                // Guarded: the document signed is the one still attached, signed once.
                let done = sqlx::query(RECORD_SIGNATURE)
                    .bind(&sig.public_id)
                    .bind(&sig.signed_sha256)
                    .bind(sig.signed_size)
                    .bind(by)
                    .bind(&sig.signer_name)
                    .bind(&sig.cert_serial)
                    .bind(to_ms(now))
                    .bind(dossier_id)
                    .bind(original_sha)
                    .execute(&self.write)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(result_changed());
                }
                Ok(())
            }
        }
    };
}

mod sqlite {
    signing_sql!(sqlx::Sqlite, sqlite);
}

mod postgres {
    signing_sql!(sqlx::Postgres, postgres);
}

impl Store {
    /// Certificates, revocations and electronic results.
    pub fn signing(&self) -> Signing<'_> {
        Signing { store: self }
    }
}

pub struct Signing<'a> {
    store: &'a Store,
}

/// Whether `user` may take `action` on a dossier of `unit` in `status`: the
/// role from the domain's table, one of the user's own units (an
/// administrator's view of every unit does not make them a signer), and the
/// dossier in a fitting state.
pub fn check_result_action(
    user: &crate::User,
    action: ResultAction,
    unit: &str,
    status: &str,
    assignee: Option<&str>,
) -> Result<()> {
    let role_ok = result_roles(action).iter().any(|r| user.has_role(*r));
    if !role_ok || !user.units.iter().any(|u| u == unit) {
        return Err(Problem::forbidden(
            "forbidden_action",
            format!("Bạn không có quyền \"{}\"", action.label_vi()),
        )
        .into());
    }
    if action == ResultAction::Attach
        && user.has_role(Role::Specialist)
        && !motcua_domain::decide::is_own_work(
            Principal::Staff(Role::Specialist),
            assignee,
            &user.username,
        )
    {
        return Err(
            Problem::forbidden("not_assignee", "Hồ sơ được giao cho chuyên viên khác").into(),
        );
    }
    let status: Status = status.parse()?;
    if !result_statuses(action).contains(&status) {
        return Err(Problem::new(
            ProblemKind::Conflict,
            "illegal_transition",
            format!(
                "Không thể \"{}\" khi hồ sơ ở trạng thái \"{}\"",
                action.label_vi(),
                status.label_vi()
            ),
        )
        .into());
    }
    Ok(())
}

fn dossier_not_found() -> Problem {
    Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ")
}

impl Signing<'_> {
    pub async fn add_cert(&self, c: &NewCert, by: &str, now: OffsetDateTime) -> Result<()> {
        if self.store.unit(&c.unit_code).await?.is_none() {
            return Err(Problem::invalid(
                "unknown_unit",
                "unit",
                format!("Không có đơn vị mã \"{}\"", c.unit_code),
            )
            .into());
        }
        on_db!(self.store, add_cert(c, by, now))
    }

    /// All certificates (of one unit), oldest first.
    pub async fn certs(&self, unit: Option<&str>) -> Result<Vec<SigningCert>> {
        on_db!(self.store, certs(unit))
    }

    pub async fn cert(&self, serial: &str) -> Result<Option<SigningCert>> {
        on_db!(
            self.store,
            cert(serial.trim().to_ascii_lowercase().as_str())
        )
    }

    /// The unit's CA in force (not revoked, newest).
    pub async fn unit_ca(&self, unit: &str) -> Result<Option<SigningCert>> {
        Ok(self
            .certs(Some(unit))
            .await?
            .into_iter()
            .filter(|c| c.is_ca && c.revoked_at.is_none())
            .max_by_key(|c| c.issued_at))
    }

    /// The signer certificate a leader signs with now: not revoked, in force, newest.
    pub async fn signer_cert(
        &self,
        unit: &str,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SigningCert>> {
        Ok(self
            .certs(Some(unit))
            .await?
            .into_iter()
            .filter(|c| {
                !c.is_ca
                    && c.username.as_deref() == Some(username)
                    && c.revoked_at.is_none()
                    && c.not_before <= now
                    && now <= c.not_after
            })
            .max_by_key(|c| c.issued_at))
    }

    /// Revoke a certificate; the reason is required.
    pub async fn revoke(
        &self,
        serial: &str,
        reason: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<SigningCert> {
        let reason = motcua_domain::text::nfc(reason.trim());
        if reason.is_empty() {
            return Err(
                Problem::invalid("note_required", "reason", "Cần ghi rõ lý do thu hồi").into(),
            );
        }
        let serial = serial.trim().to_ascii_lowercase();
        let Some(cert) = self.cert(&serial).await? else {
            return Err(Problem::not_found(
                "cert_not_found",
                format!("Không có chứng thư số sê-ri \"{serial}\""),
            )
            .into());
        };
        if !on_db!(self.store, revoke_cert(&serial, &reason, by, now))? {
            return Err(Problem::conflict(
                "already_revoked",
                format!("Chứng thư {} đã bị thu hồi trước đó", cert.serial),
            )
            .into());
        }
        self.cert(&serial)
            .await?
            .ok_or_else(|| Problem::not_found("cert_not_found", "Không có chứng thư số").into())
    }

    /// The electronic result of a dossier (by its code), if one was attached.
    pub async fn result(&self, code: &str) -> Result<Option<ResultDoc>> {
        match self.store.dossier_row(code.trim()).await? {
            Some(row) => on_db!(self.store, result_doc(row.id)),
            None => Ok(None),
        }
    }

    /// The signed result whose file has this SHA-256, if any.
    pub async fn result_by_signed_sha256(&self, sha256: &str) -> Result<Option<ResultDoc>> {
        on_db!(self.store, result_by_signed_sha256(sha256))
    }

    pub async fn result_by_public_id(&self, id: &str) -> Result<Option<ResultDoc>> {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        on_db!(self.store, result_by_public_id(id))
    }

    /// The specialist attaches the result document (PDF only; the same size
    /// limit and content sniffing as every upload).
    pub async fn attach_result(
        &self,
        code: &str,
        bytes: &[u8],
        filename: Option<&str>,
        user: &crate::User,
        now: OffsetDateTime,
    ) -> Result<ResultDoc> {
        let row = self
            .store
            .dossier_row(code.trim())
            .await?
            .filter(|r| user.sees_unit(&r.unit_code))
            .ok_or_else(dossier_not_found)?;
        check_result_action(
            user,
            ResultAction::Attach,
            &row.unit_code,
            &row.status,
            row.assignee.as_deref(),
        )?;
        if bytes.is_empty() {
            return Err(Problem::invalid("empty_file", "file", "Tệp tải lên trống").into());
        }
        if bytes.len() > self.store.max_upload {
            return Err(Problem::new(
                ProblemKind::TooLarge,
                "file_too_large",
                format!("Tệp quá lớn: tối đa {}", human_size(self.store.max_upload)),
            )
            .with_field("file")
            .into());
        }
        if motcua_domain::documents::sniff(bytes) != Some("application/pdf") {
            return Err(Problem::new(
                ProblemKind::UnsupportedMedia,
                "unsupported_file_type",
                "Văn bản kết quả phải là tệp PDF (PDF only)",
            )
            .with_field("file")
            .into());
        }
        let filename = filename
            .map(|f| {
                motcua_domain::text::nfc(f)
                    .chars()
                    .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                    .take(200)
                    .collect::<String>()
            })
            .filter(|f| !f.is_empty());
        let sha = self.store.blobs().put(bytes).await?;
        let counters = self.store.result_counters(&row).await?;
        on_db!(
            self.store,
            attach_result(
                row.id,
                &sha,
                bytes.len() as i64,
                filename.as_deref(),
                &user.username,
                now,
                &counters
            )
        )?;
        on_db!(self.store, result_doc(row.id))?.ok_or_else(|| {
            Problem::conflict("result_changed", "Văn bản kết quả vừa thay đổi").into()
        })
    }

    /// Record the leader's signature: the signed PDF must already be in the
    /// blob store; the row changes only if `original_sha` is still attached
    /// and unsigned.
    pub async fn record_signature(
        &self,
        result: &ResultDoc,
        sig: &Signature,
        user: &crate::User,
        now: OffsetDateTime,
    ) -> Result<ResultDoc> {
        let row = self
            .store
            .dossier_row(&result.dossier_code)
            .await?
            .ok_or_else(dossier_not_found)?;
        check_result_action(user, ResultAction::Sign, &row.unit_code, &row.status, None)?;
        on_db!(
            self.store,
            record_signature(
                result.dossier_id,
                &result.original_sha256,
                sig,
                &user.username,
                now
            )
        )?;
        on_db!(self.store, result_doc(result.dossier_id))?.ok_or_else(|| {
            Problem::conflict("result_changed", "Văn bản kết quả vừa thay đổi").into()
        })
    }
}
