//! The bus of calls: each unit's calls published after commit, and the
//! feed that hands them to a board in order, reading the database at gaps;
//! beside it, a signal that a unit's waiting line changed.

use super::*;

/// One broadcast channel of calls per unit, made when first used, and one
/// watch of the unit's waiting line.
#[derive(Default)]
pub(crate) struct Bus {
    units: Mutex<HashMap<String, broadcast::Sender<Call>>>,
    waiting: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Bus {
    fn sender(&self, unit: &str) -> broadcast::Sender<Call> {
        let mut map = self.units.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(unit.to_string())
            .or_insert_with(|| broadcast::channel(256).0)
            .clone()
    }
    pub(super) fn publish(&self, call: &Call) {
        // No board listening is fine: the call is in the database.
        let _ = self.sender(&call.unit_code).send(call.clone());
    }
    pub(super) fn subscribe(&self, unit: &str) -> broadcast::Receiver<Call> {
        self.sender(unit).subscribe()
    }
    fn waiting_sender(&self, unit: &str) -> watch::Sender<u64> {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(unit.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }
    /// A ticket was taken, called or moved: the counts of who waits changed.
    /// Only a wake-up (a board reads the counts from the database), so it
    /// carries no data to get out of date.
    pub(super) fn waiting_changed(&self, unit: &str) {
        self.waiting_sender(unit)
            .send_modify(|n| *n = n.wrapping_add(1));
    }
    pub(super) fn watch_waiting(&self, unit: &str) -> watch::Receiver<u64> {
        self.waiting_sender(unit).subscribe()
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bus")
    }
}

/// The calls of one unit after a given point, each once and in order.
pub struct CallFeed {
    pub(super) store: Store,
    pub(super) unit: String,
    pub(super) rx: broadcast::Receiver<Call>,
    pub(super) last: i64,
    pub(super) pending: VecDeque<Call>,
    pub(super) catch_up: bool,
}

impl CallFeed {
    /// The sequence number of the last call handed out.
    pub fn last_seq(&self) -> i64 {
        self.last
    }

    /// Look in the database at the next [`CallFeed::next`] (calls made by
    /// another server process on the same PostgreSQL database).
    pub fn check_database(&mut self) {
        self.catch_up = true;
    }

    /// The next call, waiting for it if need be. Cancel-safe: dropping the
    /// future loses nothing.
    pub async fn next(&mut self) -> Result<Call> {
        loop {
            if let Some(c) = self.pending.pop_front() {
                if c.seq > self.last {
                    self.last = c.seq;
                    return Ok(c);
                }
                continue;
            }
            if self.catch_up {
                let calls = self
                    .store
                    .queue()
                    .calls_after(&self.unit, self.last, 200)
                    .await?;
                self.catch_up = calls.len() == 200;
                self.pending.extend(calls);
                if !self.pending.is_empty() {
                    continue;
                }
            }
            match self.rx.recv().await {
                Ok(c) if c.seq == self.last + 1 => {
                    self.last = c.seq;
                    return Ok(c);
                }
                Ok(c) if c.seq <= self.last => {}
                // A gap (an earlier call is published late) or lost messages:
                // the database has them, in order.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up = true,
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(StoreError::Config("call bus closed".into()));
                }
            }
        }
    }
}
