//! The officers' work lists (`/can-bo`): queues by role, counts, keyset pages.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queue {
    Mine,
    Submitted,
    Received,
    Processing,
    AwaitingSupplement,
    AwaitingApproval,
    AwaitingPayment,
    ResultReady,
    DueSoon,
    Late,
    All,
}

impl Queue {
    const ALL: [Queue; 11] = [
        Queue::Mine,
        Queue::Submitted,
        Queue::Received,
        Queue::Processing,
        Queue::AwaitingSupplement,
        Queue::AwaitingApproval,
        Queue::AwaitingPayment,
        Queue::ResultReady,
        Queue::DueSoon,
        Queue::Late,
        Queue::All,
    ];

    fn slug(self) -> &'static str {
        match self {
            Queue::Mine => "giao-cho-toi",
            Queue::Submitted => "cho-tiep-nhan",
            Queue::Received => "da-tiep-nhan",
            Queue::Processing => "dang-xu-ly",
            Queue::AwaitingSupplement => "cho-bo-sung",
            Queue::AwaitingApproval => "cho-phe-duyet",
            Queue::AwaitingPayment => "cho-nop-phi",
            Queue::ResultReady => "cho-tra-ket-qua",
            Queue::DueSoon => "sap-den-han",
            Queue::Late => "qua-han",
            Queue::All => "tat-ca",
        }
    }

    fn from_slug(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.slug() == s)
    }

    fn label(self, c: &Ctx) -> &'static str {
        match self {
            Queue::Mine => c.tr("Giao cho tôi", "Assigned to me"),
            Queue::Submitted => c.tr("Chờ tiếp nhận", "Awaiting reception"),
            Queue::Received => c.tr("Đã tiếp nhận", "Received"),
            Queue::Processing => c.tr("Đang xử lý", "Being processed"),
            Queue::AwaitingSupplement => c.tr("Chờ bổ sung", "Awaiting supplement"),
            Queue::AwaitingApproval => c.tr("Chờ phê duyệt", "Awaiting approval"),
            Queue::AwaitingPayment => c.tr("Chờ nộp phí", "Awaiting payment"),
            Queue::ResultReady => c.tr("Chờ trả kết quả", "Result to return"),
            Queue::DueSoon => c.tr("Sắp đến hạn", "Due within a day"),
            Queue::Late => c.tr("Quá hạn", "Late"),
            Queue::All => c.tr("Tất cả", "All"),
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            Queue::Mine | Queue::Processing => Some(Status::Processing),
            Queue::Submitted => Some(Status::Submitted),
            Queue::Received => Some(Status::Received),
            Queue::AwaitingSupplement => Some(Status::AwaitingSupplement),
            Queue::AwaitingApproval => Some(Status::AwaitingApproval),
            Queue::AwaitingPayment => Some(Status::AwaitingPayment),
            Queue::ResultReady => Some(Status::ResultReady),
            Queue::DueSoon | Queue::Late | Queue::All => None,
        }
    }

    /// Whether the queue's count comes from the per-status counters.
    fn counted_by_status(self) -> bool {
        !matches!(self, Queue::Mine | Queue::DueSoon | Queue::Late)
    }

    fn filter(self, scope: Scope, user: &User, now: OffsetDateTime, limit: i64) -> ListFilter {
        let mut f = ListFilter::new(scope, limit);
        f.status = self.status();
        match self {
            Queue::Mine => f.assignee = Some(user.username.clone()),
            Queue::DueSoon => {
                f.open_clock = true;
                f.late = Some(false);
                f.due_before = Some(to_ms(now + time::Duration::days(1)));
            }
            Queue::Late => {
                f.open_clock = true;
                f.late = Some(true);
            }
            _ => {}
        }
        f
    }

    /// The queue a role starts from.
    fn default_for(user: &User) -> Queue {
        if user.has_role(Role::Receptionist) {
            Queue::Submitted
        } else if user.has_role(Role::Specialist) {
            Queue::Mine
        } else if user.has_role(Role::Leader) {
            Queue::AwaitingApproval
        } else {
            Queue::All
        }
    }
}

pub(super) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(super) struct QueueLink {
    pub(super) href: String,
    pub(super) label: String,
    pub(super) count: String,
    pub(super) current: bool,
}

/// The order of a work list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Most urgent first: the default, so the first row is the one to do.
    Due,
    Newest,
    Oldest,
}

impl Order {
    const ALL: [Order; 3] = [Order::Due, Order::Newest, Order::Oldest];

    fn slug(self) -> &'static str {
        match self {
            Order::Due => "han",
            Order::Newest => "moi-nhat",
            Order::Oldest => "cu-nhat",
        }
    }

    fn label(self, c: &Ctx) -> &'static str {
        match self {
            Order::Due => c.tr("Gấp nhất trước", "Most urgent first"),
            Order::Newest => c.tr("Mới nhất trước", "Newest first"),
            Order::Oldest => c.tr("Cũ nhất trước", "Oldest first"),
        }
    }

    fn from_slug(s: Option<&str>) -> Order {
        Order::ALL
            .into_iter()
            .find(|o| Some(o.slug()) == s)
            .unwrap_or(Order::Due)
    }
}

/// An urgency in words, and whether it is a late one.
fn urgency_words(c: &Ctx, u: Urgency) -> (String, bool) {
    match (u, c.lang) {
        (Urgency::Late { days }, Lang::Vi) => (format!("Quá hạn {days} ngày"), true),
        (Urgency::Late { days }, Lang::En) => (format!("{days} day(s) late"), true),
        (Urgency::HoursLeft { hours }, Lang::Vi) => (format!("Còn {hours} giờ"), false),
        (Urgency::HoursLeft { hours }, Lang::En) => (format!("{hours} hour(s) left"), false),
        (Urgency::DaysLeft { days }, Lang::Vi) => (format!("Còn {days} ngày"), false),
        (Urgency::DaysLeft { days }, Lang::En) => (format!("{days} day(s) left"), false),
        (Urgency::Waiting { days }, Lang::Vi) => (format!("Chờ tiếp nhận {days} ngày"), days > 0),
        (Urgency::Waiting { days }, Lang::En) => {
            (format!("Awaiting reception for {days} day(s)"), days > 0)
        }
        (Urgency::Paused, _) => (c.tr("Tạm dừng", "Paused").to_string(), false),
    }
}

pub(super) struct Row {
    pub(super) code: String,
    /// Whether this officer reads the dossier (else its name is masked and it does not open).
    pub(super) opens: bool,
    pub(super) procedure: String,
    pub(super) applicant: String,
    pub(super) received: String,
    pub(super) due: String,
    pub(super) status: String,
    /// "Quá hạn 3 ngày", "Còn 5 giờ"…, and whether it asks for haste.
    pub(super) urgency: Option<(String, bool)>,
    pub(super) assignee: String,
}

#[derive(Template)]
#[template(path = "office_queues.html")]
pub(super) struct QueuesPage {
    pub(super) c: Ctx,
    pub(super) full_name: String,
    pub(super) title: String,
    pub(super) queues: Vec<QueueLink>,
    pub(super) units: Vec<(String, String, bool)>,
    pub(super) slug: String,
    pub(super) rows: Vec<Row>,
    pub(super) next_href: Option<String>,
    pub(super) first_href: Option<String>,
    /// The orders offered: (label, href, current).
    pub(super) orders: Vec<(String, String, bool)>,
    pub(super) order: String,
    /// What was typed in the search box.
    pub(super) search: String,
    /// The assignee column, left out where every row is the officer's own.
    pub(super) show_assignee: bool,
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    pub(super) q: Option<String>,
    pub(super) unit: Option<String>,
    pub(super) cursor: Option<String>,
    /// "han" (default): most urgent first; "moi-nhat"; "cu-nhat".
    pub(super) sort: Option<String>,
    /// A code, a personal number or a name.
    pub(super) tim: Option<String>,
}

/// The dossiers `user` may see, narrowed to `unit` when given (403 for others).
pub(super) fn scope_for(lang: Lang, user: &User, unit: &str) -> Result<Scope, PageError> {
    if !unit.is_empty() {
        if user.lists_dossiers_of(unit) {
            return Ok(Scope::Units(vec![unit.to_string()]));
        }
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "other_unit",
                "Bạn không làm việc tại đơn vị này / You do not work for this unit",
            )
            .into(),
        ));
    }
    // The system admin administers: no list of citizens (an empty scope).
    Ok(Scope::Units(user.listed_units()))
}

pub(super) async fn queues(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    // A province supervisor's day starts from the index, not from a list of
    // thousands of dossiers; the queues stay a click away.
    if q.q.is_none()
        && user.has_role(Role::ProvinceSupervisor)
        && ![Role::Receptionist, Role::Specialist, Role::Leader]
            .into_iter()
            .any(|r| user.has_role(r))
    {
        return Ok(axum::response::Redirect::to("/giam-sat/chi-so").into_response());
    }
    // An accountant's day starts from the day's takings.
    if q.q.is_none()
        && user.has_role(Role::Accountant)
        && ![Role::Receptionist, Role::Specialist, Role::Leader]
            .into_iter()
            .any(|r| user.has_role(r))
    {
        return Ok(axum::response::Redirect::to("/can-bo/thu-phi").into_response());
    }
    let unit = q.unit.as_deref().unwrap_or("").trim().to_string();
    let scope = scope_for(lang, &user, &unit)?;
    let current =
        q.q.as_deref()
            .and_then(Queue::from_slug)
            .unwrap_or_else(|| Queue::default_for(&user));
    let order = Order::from_slug(q.sort.as_deref());
    let bad_cursor = || {
        PageError::new(
            lang,
            Problem::invalid("bad_cursor", "cursor", "Trang không hợp lệ").into(),
        )
    };
    let (mut before_id, mut due_cursor) = (None, None);
    if let Some(x) = q.cursor.as_deref().filter(|x| !x.is_empty()) {
        if order == Order::Due {
            due_cursor = Some(motcua_store::parse_due_cursor(x).ok_or_else(bad_cursor)?);
        } else {
            before_id = Some(x.parse::<i64>().map_err(|_| bad_cursor())?);
        }
    }
    let search = q.tim.as_deref().unwrap_or("").trim().to_string();
    let now = s.now();
    let counts = s
        .store
        .count_by_status(&scope)
        .await
        .map_err(store_err(lang))?;
    let by_status = |st: Option<Status>| -> i64 {
        counts
            .iter()
            .filter(|(x, _)| st.is_none_or(|st| x == st.as_str()))
            .map(|(_, n)| *n)
            .sum()
    };
    let shown: Vec<Queue> = Queue::ALL
        .into_iter()
        .filter(|x| *x != Queue::Mine || user.has_role(Role::Specialist))
        .collect();
    let unit_q = if unit.is_empty() {
        String::new()
    } else {
        format!("&unit={}", url_encode(&unit))
    };
    let search_q = if search.is_empty() {
        String::new()
    } else {
        format!("&tim={}", url_encode(&search))
    };
    let sort_q = if order == Order::Due {
        String::new()
    } else {
        format!("&sort={}", order.slug())
    };
    let mut links = Vec::new();
    for x in &shown {
        let count = if x.counted_by_status() {
            by_status(x.status()).to_string()
        } else {
            let f = x.filter(scope.clone(), &user, now, COUNT_CAP + 1);
            let n = s
                .store
                .list_dossiers(&f, now)
                .await
                .map_err(store_err(lang))?
                .len() as i64;
            if n > COUNT_CAP {
                format!("{COUNT_CAP}+")
            } else {
                n.to_string()
            }
        };
        links.push(QueueLink {
            href: format!("/can-bo?q={}{unit_q}", x.slug()),
            label: x.label(&c).to_string(),
            count,
            current: *x == current,
        });
    }
    let mut filter = current.filter(scope, &user, now, PAGE_ROWS);
    filter.before_id = before_id;
    filter.oldest_first = order == Order::Oldest;
    filter.by_due = order == Order::Due;
    filter.due_cursor = due_cursor;
    filter.search = motcua_store::Search::parse(&search);
    let rows = s
        .store
        .list_dossiers(&filter, now)
        .await
        .map_err(store_err(lang))?;
    let catalog = s.store.catalog().await.map_err(store_err(lang))?;
    let here = format!("/can-bo?q={}{unit_q}{search_q}", current.slug());
    let next_href = (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last())
        .flatten()
        .map(|r| {
            let cursor = if order == Order::Due {
                motcua_store::due_cursor(r)
            } else {
                r.id.to_string()
            };
            format!("{here}{sort_q}&cursor={cursor}")
        });
    let first_href =
        (before_id.is_some() || due_cursor.is_some()).then(|| format!("{here}{sort_q}"));
    let orders = Order::ALL
        .into_iter()
        .map(|o| {
            let q = if o == Order::Due {
                String::new()
            } else {
                format!("&sort={}", o.slug())
            };
            (o.label(&c).to_string(), format!("{here}{q}"), o == order)
        })
        .collect();
    let rows = rows
        .iter()
        .map(|r| {
            let paused = r.pause_remaining.is_some();
            let opens = user.reads_dossiers_of(&r.unit_code);
            Row {
                code: r.code.clone(),
                opens,
                procedure: catalog
                    .iter()
                    .find(|(p, _)| p.code == r.procedure_code)
                    .map_or_else(|| r.procedure_code.clone(), |(p, _)| p.name.clone()),
                applicant: if opens {
                    r.applicant_name.clone()
                } else {
                    motcua_domain::text::mask_name(&r.applicant_name)
                },
                received: match r.received_at {
                    Some(t) => when(Some(t)),
                    None => format!(
                        "{} {}",
                        when(Some(r.submitted_at)),
                        c.tr("(nộp)", "(submitted)")
                    ),
                },
                due: if paused {
                    c.tr("Tạm dừng", "Paused").to_string()
                } else if r.due_at.is_none() {
                    "—".to_string()
                } else {
                    when(r.due_at)
                },
                status: r
                    .status()
                    .map(|st| status_words(&c, st))
                    .unwrap_or_else(|_| r.status.clone()),
                urgency: r
                    .projection()
                    .ok()
                    .zip(crate::view::instant_ms(Some(r.submitted_at)))
                    .and_then(|(p, at)| p.urgency(at.0, now))
                    .map(|u| urgency_words(&c, u)),
                assignee: r.assignee.clone().unwrap_or_default(),
            }
        })
        .collect();
    let units = unit_choices(&s, &user)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .map(|(code, name)| {
            let sel = code == unit;
            (code, name, sel)
        })
        .collect();
    let title = current.label(&c).to_string();
    // A work list shows applicants' names: its reads are kept (no single dossier).
    s.store
        .log_access(
            &user.username,
            "",
            &format!("page:queue:{}", current.slug()),
            s.now(),
        )
        .await
        .map_err(store_err(lang))?;
    render(&QueuesPage {
        full_name: user.full_name.clone(),
        c,
        title,
        queues: links,
        units,
        slug: current.slug().to_string(),
        rows,
        next_href,
        first_href,
        orders,
        order: order.slug().to_string(),
        search,
        show_assignee: current != Queue::Mine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            lang: Lang::Vi,
            large: false,
            user: None,
            path: "/".into(),
            draft_pass: None,
        }
    }

    #[test]
    fn working_time_in_words() {
        let c = ctx();
        assert_eq!(minutes_words(&c, 0, 480), "0 phút làm việc");
        assert_eq!(
            minutes_words(&c, 480 + 150, 480),
            "1 ngày 2 giờ 30 phút làm việc"
        );
        assert_eq!(minutes_words(&c, 960, 480), "2 ngày làm việc");
    }

    #[test]
    fn queue_slugs_round_trip() {
        for q in Queue::ALL {
            assert_eq!(Queue::from_slug(q.slug()), Some(q));
        }
        assert_eq!(Queue::from_slug("nope"), None);
    }

    #[test]
    fn next_stays_local() {
        assert_eq!(next_or_default(None), "/can-bo");
        assert_eq!(next_or_default(Some("//evil.example")), "/");
        assert_eq!(next_or_default(Some("https://evil.example")), "/");
        assert_eq!(
            next_or_default(Some("/can-bo/ho-so/30112-260302-0001")),
            "/can-bo/ho-so/30112-260302-0001"
        );
    }

    #[test]
    fn intake_slots_are_shared_by_nonce() {
        let n = new_nonce();
        let a = intake_slot(&n).expect("slot");
        let b = intake_slot(&n).expect("slot");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(intake_slot("short").is_none());
    }
}
