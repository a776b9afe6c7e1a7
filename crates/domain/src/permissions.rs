//! Who may administer what, beside the dossiers (whose rules are in
//! `lifecycle` and `decide`): the working calendar, the queue's set-up and
//! counters, the system's own pages. Pages, the API and the CLI ask here.

use crate::lifecycle::Role;

/// A staff member as these rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Staff<'a> {
    pub roles: &'a [Role],
    /// Their units (a province supervisor's: the province's).
    pub units: &'a [String],
}

impl Staff<'_> {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn works_in(&self, unit: &str) -> bool {
        self.units.iter().any(|u| u == unit)
    }

    /// National days off are the system admin's; a unit's own days off and
    /// working hours are its unit admin's (`unit` empty or `None`: national).
    pub fn may_edit_calendar(&self, unit: Option<&str>) -> bool {
        self.has(Role::Admin)
            || unit.is_some_and(|u| !u.is_empty() && self.has(Role::UnitAdmin) && self.works_in(u))
    }

    /// A unit's queue services and counters: its unit admin, or the system admin.
    pub fn may_set_up_queue(&self, unit: &str) -> bool {
        self.has(Role::Admin)
            || (!unit.is_empty() && self.has(Role::UnitAdmin) && self.works_in(unit))
    }

    /// Calling tickets at one of the unit's counters: its receptionists and
    /// unit admins; the system admin does not serve citizens.
    pub fn may_work_counter(&self, unit: &str) -> bool {
        self.works_in(unit)
            && !self.has(Role::Admin)
            && (self.has(Role::Receptionist) || self.has(Role::UnitAdmin))
    }

    /// A unit's connected systems (webhook subscriptions, failed
    /// deliveries): its unit admin, or the system admin.
    pub fn may_manage_integrations(&self, unit: &str) -> bool {
        self.may_set_up_queue(unit)
    }

    /// The system's own pages (uploads not yet in a dossier, …).
    pub fn may_administer_system(&self) -> bool {
        self.has(Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_administers_what_it_should() {
        let units = vec!["30112".to_string()];
        let staff = |roles: &'static [Role]| Staff {
            roles,
            units: &units,
        };
        let admin = Staff {
            roles: &[Role::Admin],
            units: &[],
        };
        assert!(admin.may_edit_calendar(None) && admin.may_edit_calendar(Some("30112")));
        assert!(admin.may_set_up_queue("30112") && !admin.may_work_counter("30112"));
        assert!(admin.may_administer_system());
        let ua = staff(&[Role::UnitAdmin]);
        assert!(!ua.may_edit_calendar(None) && ua.may_edit_calendar(Some("30112")));
        assert!(!ua.may_edit_calendar(Some("28261")));
        assert!(ua.may_set_up_queue("30112") && !ua.may_set_up_queue("28261"));
        assert!(ua.may_manage_integrations("30112") && !ua.may_manage_integrations("28261"));
        assert!(admin.may_manage_integrations("28261"));
        assert!(ua.may_work_counter("30112") && !ua.may_administer_system());
        let r = staff(&[Role::Receptionist]);
        assert!(!r.may_edit_calendar(Some("30112")) && !r.may_set_up_queue("30112"));
        assert!(!r.may_manage_integrations("30112"));
        assert!(r.may_work_counter("30112") && !r.may_work_counter("28261"));
        for role in [Role::Specialist, Role::Leader, Role::ProvinceSupervisor] {
            let s = Staff {
                roles: std::slice::from_ref(&role),
                units: &units,
            };
            assert!(!s.may_edit_calendar(Some("30112")), "{role}");
            assert!(
                !s.may_set_up_queue("30112") && !s.may_work_counter("30112"),
                "{role}"
            );
            assert!(!s.may_administer_system(), "{role}");
        }
    }
}
