//! Reception regardless of boundary (Decree 118/2025, art. 14; migration
//! 0022): a center receives dossiers for any commune of its province and
//! routes each to the unit competent to decide it. The competent unit works
//! on the dossier (`unit_code`); the receiving unit (`received_by`) keeps
//! following it: its status, its due date and the documents it took in,
//! not the competent unit's later work.

use crate::model::{DossierRecord, DossierRow, User, to_ms};
use crate::{Result, Store};
use motcua_domain::lifecycle::Action;
use motcua_domain::units::Unit;

impl User {
    /// Whether the user follows `row` as its receiving unit: the dossier
    /// was routed from one of their units to a unit they do not read.
    pub fn follows_routed(&self, row: &DossierRow) -> bool {
        row.routed_at.is_some()
            && self.reads_dossiers_of(&row.received_by)
            && !self.reads_dossiers_of(&row.unit_code)
    }
}

/// What the receiving unit keeps of a routed dossier: the documents taken
/// in up to the routing; the events up to the routing as they are, the
/// later ones without who took them or their notes (the competent unit's
/// internal work).
pub fn as_received(mut rec: DossierRecord) -> DossierRecord {
    let Some(routed_at) = rec.row.routed_at else {
        return rec;
    };
    rec.documents.retain(|d| to_ms(d.created_at) <= routed_at);
    let route_seq = rec
        .events
        .iter()
        .find(|e| e.action == Action::Route)
        .map_or(0, |e| e.seq);
    for e in rec.events.iter_mut().filter(|e| e.seq > route_seq) {
        e.actor.clear();
        e.role.clear();
        e.note = None;
        e.payload = motcua_domain::payload::Payload::default();
    }
    rec.issued_key = None;
    // Who works on it at the competent unit is that unit's business.
    rec.row.assignee = None;
    rec
}

impl Store {
    /// The units a dossier of `unit` may be routed to: the other communes of
    /// its province, or only `named` among them.
    pub async fn route_targets(&self, unit: &str, named: Option<&str>) -> Result<Vec<Unit>> {
        let Some(home) = self.unit(unit).await? else {
            return Ok(Vec::new());
        };
        let units = match named {
            Some(code) => self.unit(code.trim()).await?.into_iter().collect(),
            None => self.units(Some(&home.province_code)).await?,
        };
        Ok(units.into_iter().filter(|u| home.may_route_to(u)).collect())
    }

    /// A dossier as its receiving unit sees it once routed, if `user`
    /// follows it that way ([`User::follows_routed`]).
    pub async fn routed_record(&self, code: &str, user: &User) -> Result<Option<DossierRecord>> {
        match self.dossier_row(code).await? {
            Some(row) if user.follows_routed(&row) => {
                Ok(Some(as_received(self.record_for(row).await?)))
            }
            _ => Ok(None),
        }
    }
}
