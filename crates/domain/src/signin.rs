//! How failed sign-ins slow a client down. Failures are counted per (client
//! address, account): a client that keeps guessing waits longer and longer,
//! but nobody can lock an officer out from another machine, because the
//! officer's own client has no failures of its own.

use std::time::Duration;

/// Failures a client may make on one account before it has to wait.
pub const FREE_FAILURES: u32 = 4;
/// The first wait; it doubles with every further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A count is forgotten this long after the wait it caused has ended.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// How long a client must wait after its `failures`-th failure in a row.
pub fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    FIRST_DELAY.saturating_mul(1u32 << doublings).min(MAX_DELAY)
}

/// The state of one (client, account) pair after a failure at `now_ms`,
/// given its previous count if that is still remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// Until when (UTC ms) this client must wait before trying this account again.
    pub blocked_until: i64,
    /// When the count is forgotten (UTC ms).
    pub expires_at: i64,
}

pub fn after_failure(previous: Option<u32>, now_ms: i64) -> Failures {
    let count = previous.unwrap_or(0).saturating_add(1);
    let blocked_until = now_ms + delay_after(count).as_millis() as i64;
    Failures {
        count,
        blocked_until,
        expires_at: blocked_until + FORGET_AFTER.as_millis() as i64,
    }
}

/// The account name failures are counted under: trimmed, lower case and
/// bounded, so unknown names cost the same as known ones and take no room.
pub fn account_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

/// Who may see and clear the failures counted on an account: the system
/// administrator for any account, a unit administrator for the accounts of
/// the units they administer.
pub fn may_manage_account(
    actor_roles: &[crate::lifecycle::Role],
    actor_units: &[String],
    target_units: &[String],
) -> bool {
    use crate::lifecycle::Role;
    actor_roles.contains(&Role::Admin)
        || (actor_roles.contains(&Role::UnitAdmin)
            && target_units.iter().any(|u| actor_units.contains(u)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_starts_after_the_free_failures_doubles_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(FREE_FAILURES), Duration::ZERO);
        assert_eq!(delay_after(FREE_FAILURES + 1), FIRST_DELAY);
        assert_eq!(delay_after(FREE_FAILURES + 2), FIRST_DELAY * 2);
        assert_eq!(delay_after(FREE_FAILURES + 3), FIRST_DELAY * 4);
        assert_eq!(delay_after(FREE_FAILURES + 6), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_failure_counts_on_from_what_is_remembered() {
        let f = after_failure(None, 1_000);
        assert_eq!((f.count, f.blocked_until), (1, 1_000));
        let f = after_failure(Some(FREE_FAILURES), 1_000);
        assert_eq!(f.blocked_until, 1_000 + FIRST_DELAY.as_millis() as i64);
        assert_eq!(
            f.expires_at,
            f.blocked_until + FORGET_AFTER.as_millis() as i64
        );
        assert_eq!(account_key("  Own.Leader "), "own.leader");
    }
}
