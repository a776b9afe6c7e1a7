//! Catalog versions: each import of the catalog is a version with the date
//! it takes effect, nationally or for one province. A dossier is received
//! under the version in force for its province at that instant and keeps it:
//! its fee and time limit never change under it (Decree 118/2025; LAW.md,
//! "Time").

use time::OffsetDateTime;

/// The version every dossier received before versions existed points to.
pub const FIRST: i64 = 1;

/// One version of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: i64,
    /// None: every province.
    pub province: Option<String>,
    pub effective_from: OffsetDateTime,
}

/// The version in force for `province` at `at`: the latest to take effect
/// among the national ones and the province's own; on the same date the
/// province's own wins, then the later import.
pub fn in_force(versions: &[Version], province: &str, at: OffsetDateTime) -> i64 {
    versions
        .iter()
        .filter(|v| v.effective_from <= at)
        .filter(|v| v.province.as_deref().is_none_or(|p| p == province))
        .max_by_key(|v| (v.effective_from, v.province.is_some(), v.id))
        .map_or(FIRST, |v| v.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn v(id: i64, province: Option<&str>, from: OffsetDateTime) -> Version {
        Version {
            id,
            province: province.map(str::to_string),
            effective_from: from,
        }
    }

    #[test]
    fn the_version_in_force_is_the_latest_that_applies() {
        let versions = [
            v(1, None, OffsetDateTime::UNIX_EPOCH),
            v(2, None, datetime!(2026-07-01 00:00 +7)),
            v(3, Some("82"), datetime!(2026-09-01 00:00 +7)),
            // Announced now, in force next year.
            v(4, None, datetime!(2027-01-01 00:00 +7)),
            v(5, Some("82"), datetime!(2027-01-01 00:00 +7)),
        ];
        assert_eq!(in_force(&versions, "82", datetime!(2026-06-30 23:59 +7)), 1);
        assert_eq!(in_force(&versions, "82", datetime!(2026-07-01 00:00 +7)), 2);
        assert_eq!(in_force(&versions, "82", datetime!(2026-12-31 12:00 +7)), 3);
        // Another province does not see 82's own version.
        assert_eq!(in_force(&versions, "01", datetime!(2026-12-31 12:00 +7)), 2);
        // Same day: the province's own version wins over the national one.
        assert_eq!(in_force(&versions, "82", datetime!(2027-01-02 00:00 +7)), 5);
        assert_eq!(in_force(&versions, "01", datetime!(2027-01-02 00:00 +7)), 4);
        // No version at all (a database before versions): the first.
        assert_eq!(in_force(&[], "82", datetime!(2026-01-01 00:00 +7)), FIRST);
    }
}
