//! The display board (`/bang/{unit}`) and its feed of calls (server-sent events).

use super::*;

pub(super) struct CallView {
    pub(super) number: i64,
    pub(super) counter: i64,
    pub(super) at: String,
    pub(super) words: String,
}

impl From<&Call> for CallView {
    fn from(c: &Call) -> Self {
        CallView {
            number: c.number,
            counter: c.counter_number,
            at: hhmm(c.at),
            words: call_words(c.number, c.counter_number),
        }
    }
}

pub(super) struct CounterView {
    pub(super) number: i64,
    pub(super) name: String,
    pub(super) ticket: Option<i64>,
}

#[derive(Template)]
#[template(path = "queue_board.html")]
pub(super) struct BoardPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) latest: Option<CallView>,
    pub(super) counters: Vec<CounterView>,
    pub(super) recent: Vec<CallView>,
    pub(super) waiting: Vec<(i64, String, i64)>,
    /// The feed's starting point: the last call and the counts shown.
    pub(super) after: String,
    pub(super) clock: String,
}

pub(super) async fn board(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(&s, lang, &unit).await?;
    let q = s.store.queue();
    let (services, counters) = q.setup(&unit).await.map_err(page_err(lang))?;
    let last_seq = q.last_call_seq(&unit).await.map_err(page_err(lang))?;
    let recent = q
        .recent_calls(&unit, now(&s), 60)
        .await
        .map_err(page_err(lang))?;
    let waiting = q
        .tickets(&unit, today(&s), &WAITING)
        .await
        .map_err(page_err(lang))?;
    let counters = counters
        .iter()
        .filter(|k| k.active)
        .map(|k| CounterView {
            number: k.number,
            name: k.name.clone(),
            ticket: recent
                .iter()
                .find(|r| r.counter_number == k.number)
                .map(|r| r.number),
        })
        .collect();
    let waiting = waiting_by_service(&services, &waiting);
    render(&BoardPage {
        unit,
        unit_name,
        latest: recent.first().map(CallView::from),
        counters,
        recent: recent.iter().take(8).map(CallView::from).collect(),
        after: format!("{last_seq}~{}", counts_mark(&waiting)),
        waiting,
        clock: hhmm(now(&s)),
        c,
    })
}

#[derive(Deserialize)]
pub(super) struct EventsQuery {
    pub(super) after: Option<String>,
}

/// How long a request of the board waits for the next call before it
/// answers with the waiting counts alone (then the board asks again).
pub(super) const HOLD: Duration = Duration::from_secs(25);
/// After a call, how long to wait for more calls to send in the same answer.
pub(super) const GATHER: Duration = Duration::from_millis(50);

/// The board's live feed as server-sent events: each call once, in order,
/// with its sequence number as the event id, and the waiting counts.
///
/// Each answer holds the calls made after the board's last event id (sent
/// by the browser as Last-Event-ID when it reconnects, or `?after=` the
/// first time), waiting up to HOLD for the first one or for a change of
/// the waiting line, then ends with the waiting counts; the EventSource
/// reconnects after `retry` and resumes exactly where it was.
/// Answers that end are what make every reconnect exercised all day, keep
/// a server shutdown from waiting on open boards, and need no streaming
/// body: long polling spoken in the event-stream format.
///
/// The counts' event id is `{last call}~{counts}`: a board reconnecting
/// with counts that are no longer true (a ticket taken between two
/// answers) gets the new ones at once instead of after HOLD.
pub(super) async fn board_events(
    State(s): State<AppState>,
    Path(unit): Path<String>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response, PageError> {
    unit_name(&s, Lang::Vi, &unit).await?;
    let queue = s.store.queue();
    let last = queue
        .last_call_seq(&unit)
        .await
        .map_err(page_err(Lang::Vi))?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(Resume::parse)
        .filter(|r| r.seq.is_some())
        .or_else(|| q.after.as_deref().map(Resume::parse))
        .unwrap_or_default();
    // Beyond the last call (a restored database): start from the last one.
    let after = resume.seq.map_or(last, |a| a.clamp(0, last));
    let mut feed = queue.feed(&unit, after);
    // Watched before the counts are read, so no change falls between.
    let mut changes = queue.watch_waiting(&unit);
    let counts = waiting_counts(&s, &unit).await;
    let stale = match (&resume.counts, &counts) {
        (Some(seen), Some(now)) => *seen != counts_mark(now),
        _ => false,
    };
    let mut out = String::from("retry: 500\n\n");
    if !stale {
        let woke = tokio::select! {
            // A call also changes the line: take the call first.
            biased;
            n = tokio::time::timeout(HOLD, feed.next()) => match n {
                Ok(Ok(call)) => {
                    out.push_str(&call_event(&call));
                    true
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "board feed failed");
                    false
                }
                Err(_) => false,
            },
            r = changes.changed() => r.is_ok(),
            _ = tokio::signal::ctrl_c() => false,
        };
        if woke {
            while out.len() < 64 * 1024 {
                match tokio::time::timeout(GATHER, feed.next()).await {
                    Ok(Ok(call)) => out.push_str(&call_event(&call)),
                    _ => break,
                }
            }
        }
    }
    let counts = if stale {
        counts
    } else {
        waiting_counts(&s, &unit).await
    };
    if let Some(counts) = counts {
        out.push_str(&waiting_event(feed.last_seq(), &counts));
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Where a board was: its last call and the counts it shows (`12~3.0.1`,
/// or a bare `12` from a call event or the first `?after=`).
#[derive(Default)]
pub(super) struct Resume {
    pub(super) seq: Option<i64>,
    pub(super) counts: Option<String>,
}

impl Resume {
    pub(super) fn parse(raw: &str) -> Resume {
        let (seq, counts) = match raw.trim().split_once('~') {
            Some((seq, counts)) => (seq, Some(counts.to_string())),
            None => (raw.trim(), None),
        };
        Resume {
            seq: seq.parse().ok(),
            counts,
        }
    }
}

/// The waiting counts per active service, or None when they cannot be read
/// (the board keeps what it shows).
async fn waiting_counts(s: &AppState, unit: &str) -> Option<Vec<(i64, String, i64)>> {
    let queue = s.store.queue();
    match (
        queue.services(unit).await,
        queue.tickets(unit, today(s), &WAITING).await,
    ) {
        (Ok(services), Ok(waiting)) => Some(waiting_by_service(&services, &waiting)),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "board counts failed");
            None
        }
    }
}

/// The counts as the event id carries them: "3.0.1", in the board's order.
pub(super) fn counts_mark(counts: &[(i64, String, i64)]) -> String {
    counts
        .iter()
        .map(|(_, _, n)| n.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// The waiting counts as a server-sent event.
pub(super) fn waiting_event(last_seq: i64, counts: &[(i64, String, i64)]) -> String {
    let data = serde_json::Value::Array(
        counts
            .iter()
            .map(|(id, name, n)| serde_json::json!({"service": id, "name": name, "waiting": n}))
            .collect(),
    );
    format!(
        "id: {last_seq}~{}\nevent: waiting\ndata: {data}\n\n",
        counts_mark(counts)
    )
}

/// One call as a server-sent event (its data is JSON on one line).
pub(super) fn call_event(c: &Call) -> String {
    let data = serde_json::json!({
        "seq": c.seq,
        "number": c.number,
        "counter": c.counter_number,
        "counter_name": c.counter_name,
        "service": c.service_name,
        "at": hhmm(c.at),
        "say": call_words(c.number, c.counter_number),
    });
    format!("id: {}\nevent: call\ndata: {data}\n\n", c.seq)
}
