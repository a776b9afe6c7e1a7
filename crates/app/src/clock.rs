//! The time of the application. Nothing below the binary reads the wall
//! clock: handlers, jobs and use cases ask the clock they were given, so a
//! test can set the time and a deadline rule can be tested at 16:59.

use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The clock a server or a command runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until it is set or moved (tests, the demo's
/// replays of a past day).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clock as it is passed around.
pub type SharedClock = Arc<dyn Clock>;

pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = time::macros::datetime!(2026-12-07 09:59 +7);
        let c = ManualClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(time::Duration::minutes(2));
        assert_eq!(c.now(), time::macros::datetime!(2026-12-07 10:01 +7));
        c.set(start);
        assert_eq!(c.now(), start);
    }
}
