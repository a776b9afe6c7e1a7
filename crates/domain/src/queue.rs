//! The queue's tickets as types: the states a ticket goes through at the
//! counter and which state each officer's action applies to. The store
//! keeps tickets and calls; the rules of their states live here.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    Skipped,
    Held,
    /// Sent to another service or counter; waits there ahead of walk-ins.
    Transferred,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 7] = [
        TicketStatus::Waiting,
        TicketStatus::Called,
        TicketStatus::Serving,
        TicketStatus::Done,
        TicketStatus::Skipped,
        TicketStatus::Held,
        TicketStatus::Transferred,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::Skipped => "skipped",
            TicketStatus::Held => "held",
            TicketStatus::Transferred => "transferred",
        }
    }
    pub fn parse(s: &str) -> Option<TicketStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
    /// Still in the queue, not yet called.
    pub fn is_waiting(self) -> bool {
        matches!(self, TicketStatus::Waiting | TicketStatus::Transferred)
    }
}

/// What an officer does with the ticket at their counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// Call the same number again (the board repeats it).
    Recall,
    /// The citizen came: serving starts.
    Start,
    /// Nobody came (no-show).
    Skip,
    /// Put aside (the citizen fetches a paper); stays with this counter.
    Hold,
    /// Call a held ticket back.
    Resume,
    Finish,
    /// Send to another service, or to one counter.
    Transfer {
        service_id: i64,
        counter_id: Option<i64>,
    },
    /// Link the dossier created or returned for this citizen.
    LinkDossier(String),
}

impl TicketAction {
    /// Statuses the action applies to.
    pub fn applies_to(&self) -> &'static [&'static str] {
        match self {
            TicketAction::Recall | TicketAction::Hold | TicketAction::Finish => {
                &["called", "serving"]
            }
            TicketAction::Start => &["called"],
            TicketAction::Skip => &["called", "held"],
            TicketAction::Resume => &["held"],
            TicketAction::Transfer { .. } => &["called", "serving", "held"],
            TicketAction::LinkDossier(_) => &[
                "waiting",
                "called",
                "serving",
                "done",
                "skipped",
                "held",
                "transferred",
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_applies_to_the_states_written_here() {
        // Literal: a change of the queue's rules changes this table.
        let table: [(TicketAction, &[&str]); 8] = [
            (TicketAction::Recall, &["called", "serving"]),
            (TicketAction::Start, &["called"]),
            (TicketAction::Skip, &["called", "held"]),
            (TicketAction::Hold, &["called", "serving"]),
            (TicketAction::Resume, &["held"]),
            (TicketAction::Finish, &["called", "serving"]),
            (
                TicketAction::Transfer {
                    service_id: 1,
                    counter_id: None,
                },
                &["called", "serving", "held"],
            ),
            (
                TicketAction::LinkDossier(String::new()),
                &[
                    "waiting",
                    "called",
                    "serving",
                    "done",
                    "skipped",
                    "held",
                    "transferred",
                ],
            ),
        ];
        for (action, states) in table {
            assert_eq!(action.applies_to(), states, "{action:?}");
        }
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
        }
        assert!(TicketStatus::Transferred.is_waiting() && !TicketStatus::Held.is_waiting());
    }
}
