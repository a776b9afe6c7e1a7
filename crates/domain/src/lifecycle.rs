//! The dossier state machine: which action moves a dossier from which status
//! to which, and who may take it. Pure: the store applies the result in one
//! transaction with its event.

use crate::{Problem, ProblemKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident / $err:literal { $($variant:ident = $text:literal / $vi:literal / $en:literal),+ $(,)? }) => {
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            /// Vietnamese label for people.
            pub fn label_vi(self) -> &'static str { match self { $($name::$variant => $vi),+ } }
            /// English label, the site's second language.
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = Problem;
            fn from_str(s: &str) -> Result<Self, Problem> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(Problem::invalid(
                    concat!("unknown_", $err),
                    $err,
                    format!("Giá trị \"{s}\" không hợp lệ"),
                )) }
            }
        }
    };
}

string_enum!(
    /// Where a dossier stands.
    #[cfg_attr(feature = "openapi", schema(description = "Where a dossier stands: submitted (đã nộp trực tuyến), received (đã tiếp nhận), processing (đang xử lý), awaiting_supplement (chờ bổ sung), awaiting_approval (chờ phê duyệt), result_ready (có kết quả, chờ trả), returned (đã trả kết quả), refused (từ chối tiếp nhận), rejected (từ chối giải quyết), withdrawn (đã rút), awaiting_payment (chờ nộp phí, lệ phí trước khi giải quyết), stopped (dừng xử lý: quá hạn nộp phí)."))]
    Status / "status" {
        Submitted = "submitted" / "Đã nộp trực tuyến, chờ tiếp nhận" / "Submitted online, awaiting reception",
        Received = "received" / "Đã tiếp nhận" / "Received",
        Processing = "processing" / "Đang xử lý" / "Being processed",
        AwaitingSupplement = "awaiting_supplement" / "Chờ bổ sung hồ sơ" / "Awaiting a supplement",
        AwaitingApproval = "awaiting_approval" / "Chờ phê duyệt" / "Awaiting approval",
        ResultReady = "result_ready" / "Có kết quả, chờ trả" / "Result ready for collection",
        Returned = "returned" / "Đã trả kết quả" / "Result returned",
        Refused = "refused" / "Từ chối tiếp nhận" / "Refused at intake",
        Rejected = "rejected" / "Từ chối giải quyết" / "Rejected",
        Withdrawn = "withdrawn" / "Đã rút hồ sơ" / "Withdrawn",
        AwaitingPayment = "awaiting_payment" / "Chờ nộp phí, lệ phí" / "Awaiting payment of the fee",
        Stopped = "stopped" / "Dừng xử lý" / "Stopped",
    }
);

string_enum!(
    /// What someone does to a dossier. Each is one event.
    #[cfg_attr(feature = "openapi", schema(description = "What someone does to a dossier; each is one event. `submit` and `create_at_counter` only start a dossier."))]
    Action / "action" {
        Submit = "submit" / "Nộp hồ sơ trực tuyến" / "Submitted online",
        CreateAtCounter = "create_at_counter" / "Tiếp nhận tại quầy" / "Filed at the counter",
        Receive = "receive" / "Tiếp nhận hồ sơ" / "Receive the dossier",
        RefuseIntake = "refuse_intake" / "Từ chối tiếp nhận" / "Refuse at intake",
        Assign = "assign" / "Chuyển xử lý" / "Assign to a specialist",
        RequestSupplement = "request_supplement" / "Yêu cầu bổ sung" / "Ask for a supplement",
        Supplement = "supplement" / "Bổ sung hồ sơ" / "Add the supplement",
        Propose = "propose" / "Trình phê duyệt" / "Propose for approval",
        Approve = "approve" / "Phê duyệt" / "Approve",
        SendBack = "send_back" / "Trả lại để xử lý lại" / "Send back for rework",
        Reject = "reject" / "Từ chối giải quyết" / "Reject",
        ReturnResult = "return_result" / "Trả kết quả" / "Return the result",
        Withdraw = "withdraw" / "Rút hồ sơ" / "Withdraw",
        Apologize = "apologize" / "Xin lỗi và hẹn lại ngày trả" / "Apologize and set a new date",
        ReissueKey = "reissue_key" / "Cấp lại mã tra cứu" / "Issue a new lookup code",
        CorrectApplicant = "correct_applicant" / "Sửa thông tin người nộp" / "Correct the applicant's details",
        Route = "route" / "Chuyển đến đơn vị có thẩm quyền giải quyết" / "Route to the competent unit",
        RecordPayment = "record_payment" / "Thu phí, lệ phí bằng tiền mặt" / "Record a cash payment",
        VoidReceipt = "void_receipt" / "Hủy biên lai" / "Void a receipt",
        RefundPayment = "refund_payment" / "Hoàn trả phí, lệ phí" / "Refund the fee",
        ExpireUnpaid = "expire_unpaid" / "Dừng xử lý do quá hạn nộp phí, lệ phí" / "Stop: the fee was not paid in time",
    }
);

string_enum!(
    /// Staff roles; each user has one or more, scoped to units.
    #[cfg_attr(feature = "openapi", schema(description = "Staff role (vai trò): cán bộ tiếp nhận, chuyên viên, lãnh đạo, quản trị đơn vị, giám sát tỉnh, quản trị hệ thống."))]
    Role / "role" {
        Receptionist = "receptionist" / "Cán bộ tiếp nhận" / "Receptionist",
        Specialist = "specialist" / "Chuyên viên xử lý" / "Specialist",
        Leader = "leader" / "Lãnh đạo" / "Leader",
        UnitAdmin = "unit_admin" / "Quản trị đơn vị" / "Unit administrator",
        ProvinceSupervisor = "province_supervisor" / "Giám sát cấp tỉnh" / "Province supervisor",
        Admin = "admin" / "Quản trị hệ thống" / "System administrator",
        Accountant = "accountant" / "Kế toán" / "Accountant",
    }
);

string_enum!(
    /// How a dossier reached the center.
    #[cfg_attr(feature = "openapi", schema(description = "How the dossier reached the center (hình thức nộp)."))]
    Channel / "channel" {
        Online = "online" / "Trực tuyến" / "Online",
        Counter = "counter" / "Trực tiếp tại quầy" / "At the counter",
        Kiosk = "kiosk" / "Ki-ốt tự phục vụ" / "Self-service kiosk",
        Mobile = "mobile" / "Tổ lưu động" / "Mobile team",
        Postal = "postal" / "Bưu chính công ích" / "Public postal service",
        Medical = "medical" / "Cơ sở y tế" / "Health facility",
    }
);

string_enum!(
    /// Through which door an action came, recorded in its event.
    #[cfg_attr(feature = "openapi", schema(description = "The door an action came through: `api`, `page`, `kiosk`, `direct`."))]
    Via / "via" {
        Api = "api" / "Giao diện lập trình (API)" / "Programming interface (API)",
        Page = "page" / "Trang web" / "Web page",
        Kiosk = "kiosk" / "Ki-ốt" / "Kiosk",
        Direct = "direct" / "Dòng lệnh hoặc hệ thống" / "Command line or system",
    }
);

// `string_enum!` cannot carry a `#[default]` on one variant.
#[allow(clippy::derivable_impls)]
impl Default for Via {
    fn default() -> Self {
        Via::Direct
    }
}

impl Status {
    /// No action leads out of these.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Returned
                | Status::Refused
                | Status::Rejected
                | Status::Withdrawn
                | Status::Stopped
        )
    }
    /// The national portal's `TrangThaiHoSo` (INTEGRATIONS.md, dossier
    /// sync): 1 waiting for reception, 2 received, 3 refused, 4 processing,
    /// 5 supplement requested, 6 waiting for payment, 7 withdrawn,
    /// 8 stopped, 9 processed and waiting to return, 10 returned.
    pub fn portal_code(self) -> u8 {
        match self {
            Status::Submitted => 1,
            Status::Received => 2,
            Status::Refused => 3,
            Status::Processing | Status::AwaitingApproval => 4,
            Status::AwaitingSupplement => 5,
            Status::AwaitingPayment => 6,
            Status::Withdrawn => 7,
            // ASSUMPTION: a refusal to grant ends processing without a
            // result, as "stopped"; the portal's list names no other code.
            Status::Stopped | Status::Rejected => 8,
            Status::ResultReady => 9,
            Status::Returned => 10,
        }
    }

    /// Settled: the center's work is finished (on time or late).
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Status::ResultReady | Status::Returned | Status::Rejected
        )
    }
}

/// Who acts: the citizen (holding the dossier's lookup key), a staff role,
/// or motcua itself acting on a rule of time (an unpaid dossier stopping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Citizen,
    Staff(Role),
    System,
}

impl Principal {
    pub fn as_str(self) -> &'static str {
        match self {
            Principal::Citizen => "citizen",
            Principal::Staff(r) => r.as_str(),
            Principal::System => "system",
        }
    }
}

/// Roles allowed to take an action (the citizen is listed separately).
pub fn allowed_roles(action: Action) -> &'static [Role] {
    use Role::*;
    match action {
        Action::Submit => &[],
        Action::CreateAtCounter | Action::Receive | Action::RefuseIntake | Action::ReturnResult => {
            &[Receptionist]
        }
        Action::Assign => &[Receptionist, Leader],
        Action::RequestSupplement => &[Receptionist, Specialist],
        Action::Supplement | Action::Withdraw => &[Receptionist],
        Action::Propose => &[Specialist],
        Action::Approve | Action::SendBack | Action::Reject => &[Leader],
        Action::Apologize => &[Receptionist, Leader],
        // The counter hands the citizen a new key when theirs is lost.
        Action::ReissueKey => &[Receptionist],
        // The counter typed the applicant's details; it corrects them, saying why.
        Action::CorrectApplicant => &[Receptionist],
        // The center that received a dossier for another commune's
        // procedure forwards it (Decree 118/2025, art. 14).
        Action::Route => &[Receptionist],
        // Cash is taken at the counter; the unit's accountant keeps the
        // receipts and alone voids one, saying why.
        Action::RecordPayment => &[Receptionist, Accountant],
        // A refund is the accountant's, with its reason: motcua never
        // decides alone that one is due.
        Action::VoidReceipt | Action::RefundPayment => &[Accountant],
        // Only motcua stops an unpaid dossier, when its days to pay are over.
        Action::ExpireUnpaid => &[],
    }
}

/// How much of the dossiers in its scope a role reads: least privilege,
/// one table for the API, the pages and the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reading {
    /// Accounts, catalog, calendar, configuration and figures; no dossier.
    Nothing,
    /// Figures and lists of dossiers with masked names; no dossier's
    /// contents, documents or results.
    MaskedLists,
    /// Every dossier of its units: contents, documents, results.
    Full,
}

/// What a role reads of the dossiers of its units (the province's units
/// for a province supervisor).
pub fn reading(role: Role) -> Reading {
    match role {
        // The accountant reads the dossiers whose fees they account for.
        Role::Receptionist | Role::Specialist | Role::Leader | Role::Accountant => Reading::Full,
        // Supervising and administering a unit need figures and lists, not citizens' papers.
        Role::ProvinceSupervisor | Role::UnitAdmin => Reading::MaskedLists,
        Role::Admin => Reading::Nothing,
    }
}

string_enum!(
    /// What staff do with a dossier's electronic result. Not lifecycle
    /// actions: the result document goes along with the state machine
    /// (attached while processing, signed around approval) without moving it.
    ResultAction / "result_action" {
        Attach = "attach_result" / "Đính kèm văn bản kết quả" / "Attach the result document",
        Sign = "sign_result" / "Ký số văn bản kết quả" / "Sign the result document",
    }
);

/// Roles allowed to act on the result document (always within their own units).
pub fn result_roles(action: ResultAction) -> &'static [Role] {
    match action {
        ResultAction::Attach => &[Role::Specialist],
        ResultAction::Sign => &[Role::Leader],
    }
}

/// Statuses in which the result document may be attached or signed.
pub fn result_statuses(action: ResultAction) -> &'static [Status] {
    match action {
        ResultAction::Attach => &[Status::Processing],
        // The leader signs when approving: before or right after the approval.
        ResultAction::Sign => &[Status::AwaitingApproval, Status::ResultReady],
    }
}

/// Whether the citizen may take this action on their own dossier.
pub fn citizen_may(action: Action) -> bool {
    matches!(
        action,
        Action::Submit | Action::Supplement | Action::Withdraw
    )
}

/// Whether motcua itself takes this action: stopping an unpaid dossier (a
/// rule of time), and recording a payment a gateway or the bank confirmed.
pub fn system_may(action: Action) -> bool {
    matches!(action, Action::ExpireUnpaid | Action::RecordPayment)
}

pub fn may_act(principal: Principal, action: Action) -> bool {
    match principal {
        Principal::Citizen => citizen_may(action),
        Principal::Staff(role) => allowed_roles(action).contains(&role),
        Principal::System => system_may(action),
    }
}

/// Actions that need a reason written by the person who takes them.
pub fn needs_note(action: Action) -> bool {
    matches!(
        action,
        Action::RefuseIntake
            | Action::RequestSupplement
            | Action::SendBack
            | Action::Reject
            | Action::Apologize
            | Action::Withdraw
            | Action::CorrectApplicant
            | Action::VoidReceipt
            | Action::RefundPayment
    )
}

/// The status an action leads to from `status`, or why it cannot.
/// `paused_from` is where a dossier awaiting supplement came from.
pub fn next_status(
    status: Status,
    paused_from: Option<Status>,
    action: Action,
) -> Result<Status, Problem> {
    use Status::*;
    let to = match (action, status) {
        // A pay-first dossier that owes goes on to awaiting_payment: the
        // decision knows the fee (`decide::reception_status`).
        (Action::Receive, Submitted) => Some(Received),
        (Action::RefuseIntake, Submitted) => Some(Refused),
        (Action::Assign, Received | Processing) => Some(Processing),
        (Action::RequestSupplement, Received | Processing) => Some(AwaitingSupplement),
        (Action::Supplement, AwaitingSupplement) => Some(paused_from.unwrap_or(Processing)),
        (Action::Propose, Processing) => Some(AwaitingApproval),
        (Action::Approve, AwaitingApproval) => Some(ResultReady),
        (Action::SendBack, AwaitingApproval) => Some(Processing),
        (Action::Reject, Processing | AwaitingApproval) => Some(Rejected),
        (Action::ReturnResult, ResultReady) => Some(Returned),
        (
            Action::Withdraw,
            Submitted | Received | Processing | AwaitingSupplement | AwaitingPayment,
        ) => Some(Withdrawn),
        (
            Action::Apologize,
            Received | Processing | AwaitingSupplement | AwaitingApproval | ResultReady,
        ) => Some(status),
        // A citizen needs their key in every state: to follow, to download the result.
        (Action::ReissueKey, _) => Some(status),
        // Wrong details print on the receipt, the register and the result in
        // every state: a correction never moves the dossier.
        (Action::CorrectApplicant, _) => Some(status),
        // Forwarded once received, before anyone works on it: the competent
        // unit assigns it. The status does not move.
        (Action::Route, Received) => Some(Received),
        // Fees are paid once the dossier is received, up to collecting the
        // result; a payment never moves the dossier.
        (
            Action::RecordPayment,
            Received | Processing | AwaitingSupplement | AwaitingApproval | ResultReady | Returned,
        ) => Some(status),
        // A pay-first dossier is processed once paid: its clock starts or resumes.
        (Action::RecordPayment, AwaitingPayment) => Some(Received),
        // A receipt issued in error is voided whenever it is found.
        (Action::VoidReceipt, _) => Some(status),
        // Money paid back (a refusal, a withdrawal, a payment twice) moves nothing.
        (Action::RefundPayment, _) => Some(status),
        // Not paid within the procedure's days: processing stops.
        (Action::ExpireUnpaid, AwaitingPayment) => Some(Stopped),
        _ => None,
    };
    to.ok_or_else(|| {
        Problem::new(
            ProblemKind::Conflict,
            "illegal_transition",
            format!(
                "Không thể thực hiện \"{}\" khi hồ sơ ở trạng thái \"{}\"",
                action.label_vi(),
                status.label_vi()
            ),
        )
        .with_field("action")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().ok(), Some(*s));
        }
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().ok(), Some(*a));
        }
        assert!("nope".parse::<Role>().is_err());
    }

    #[test]
    fn terminal_states_allow_nothing_but_a_new_key_a_correction_or_money() {
        let anytime = [
            Action::ReissueKey,
            Action::CorrectApplicant,
            Action::VoidReceipt,
            Action::RefundPayment,
        ];
        for s in Status::ALL.iter().filter(|s| s.is_terminal()) {
            for a in anytime {
                assert_eq!(next_status(*s, None, a).ok(), Some(*s));
            }
            // The fee may be paid when the result is collected.
            let paid_on_collection = *s == Status::Returned;
            assert_eq!(
                next_status(*s, None, Action::RecordPayment).is_ok(),
                paid_on_collection,
                "{s}"
            );
            for a in Action::ALL
                .iter()
                .filter(|a| !anytime.contains(a) && **a != Action::RecordPayment)
            {
                assert!(next_status(*s, None, *a).is_err(), "{a} from {s}");
            }
        }
    }

    #[test]
    fn every_status_has_its_portal_code_and_waiting_for_payment_is_6() {
        let mut codes: Vec<u8> = Status::ALL.iter().map(|s| s.portal_code()).collect();
        assert_eq!(Status::AwaitingPayment.portal_code(), 6);
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, (1..=10).collect::<Vec<u8>>(), "each of 1–10 is used");
    }

    #[test]
    fn supplement_returns_where_it_paused() {
        assert_eq!(
            next_status(
                Status::AwaitingSupplement,
                Some(Status::Received),
                Action::Supplement
            )
            .ok(),
            Some(Status::Received)
        );
        assert_eq!(
            next_status(
                Status::AwaitingSupplement,
                Some(Status::Processing),
                Action::Supplement
            )
            .ok(),
            Some(Status::Processing)
        );
    }

    #[test]
    fn illegal_transition_is_a_conflict_with_vietnamese_reason() {
        let err = next_status(Status::Submitted, None, Action::Approve).expect_err("illegal");
        assert_eq!(err.kind, ProblemKind::Conflict);
        assert!(err.message.contains("Phê duyệt"), "{}", err.message);
    }

    #[test]
    fn citizens_only_submit_supplement_withdraw() {
        let allowed: Vec<_> = Action::ALL
            .iter()
            .filter(|a| may_act(Principal::Citizen, **a))
            .collect();
        assert_eq!(
            allowed,
            vec![&Action::Submit, &Action::Supplement, &Action::Withdraw]
        );
        assert!(!may_act(Principal::Staff(Role::Admin), Action::Approve));
        assert_eq!(result_roles(ResultAction::Sign), &[Role::Leader]);
        assert!(!result_roles(ResultAction::Attach).contains(&Role::Admin));
        assert!(may_act(Principal::Staff(Role::Leader), Action::Approve));
    }
}
