//! The approval workflow: one explicit table per kind of document saying which role may take
//! which transition from which state, and to which state it leads. Everything that moves a
//! document asks this table first; the README's diagrams are generated from it.

mod kind;

use crate::auth::{Caller, Role};
use crate::error::Error;

pub use kind::DocumentKind;

crate::stored_enum! {
    /// Where a document stands in its approval cycle.
    pub enum Status {
        /// Being written by the partnership; the only state in which content can change.
        Draft => "draft",
        /// Signed by the partnership's manager, awaiting the treasurer's countersignature.
        Signed => "signed",
        /// Sent to the OPCC: signed (and, for returns and reports, countersigned).
        Submitted => "submitted",
        /// An OPCC reviewer is reviewing it.
        UnderReview => "under_review",
        /// Sent back (by the OPCC's reviewer; a commissioning paper, by the partnership's board); the
        /// manager revises it as a draft.
        ChangesRequested => "changes_requested",
        /// A plan the OPCC approved.
        Approved => "approved",
        /// A return or report the OPCC accepted.
        Accepted => "accepted",
        /// A commissioning paper on the agenda of its partnership's board.
        ForDiscussion => "for_discussion",
        /// A commissioning paper its partnership's board agreed.
        Agreed => "agreed",
    }
}

crate::stored_enum! {
    /// What can be done to a document; each is a POST on the document's URL plus this word.
    pub enum Transition {
        Submit => "submit",
        Sign => "sign",
        Countersign => "countersign",
        Withdraw => "withdraw",
        StartReview => "start-review",
        RecordDecisions => "decisions",
        RequestChanges => "request-changes",
        Approve => "approve",
        Accept => "accept",
        Revise => "revise",
        /// Propose a change to an approved plan: POST /plans/{id}/amendments.
        Amend => "amendments",
        /// Put a commissioning paper to a named board meeting on a date.
        Table => "table",
        /// Record the board's agreement to a commissioning paper.
        Agree => "agree",
        /// Record that the board sent a commissioning paper back.
        SendBack => "send-back",
    }
}

/// One row of a workflow table.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub transition: Transition,
    pub from: &'static [Status],
    pub to: Status,
    pub role: Role,
}

const fn step(transition: Transition, from: &'static [Status], to: Status, role: Role) -> Step {
    Step {
        transition,
        from,
        to,
        role,
    }
}

use Role::{CspManager, OpccReviewer, Treasurer};
use Status::{Accepted, Agreed, Approved, ChangesRequested, Draft, ForDiscussion, Signed, Submitted, UnderReview};
use Transition::{
    Accept, Agree, Amend, Approve, Countersign, RecordDecisions, RequestChanges, Revise, SendBack, Sign, StartReview,
    Submit, Table, Withdraw,
};

/// Spending Intentions Plan: the manager signs and submits; the reviewer decides each line.
pub const PLAN: &[Step] = &[
    step(Submit, &[Draft], Submitted, CspManager),
    step(Withdraw, &[Submitted], Draft, CspManager),
    step(StartReview, &[Submitted], UnderReview, OpccReviewer),
    step(RecordDecisions, &[UnderReview], UnderReview, OpccReviewer),
    step(RequestChanges, &[UnderReview], ChangesRequested, OpccReviewer),
    step(Approve, &[UnderReview], Approved, OpccReviewer),
    step(Revise, &[ChangesRequested], Draft, CspManager),
    step(Amend, &[Approved], Approved, CspManager),
];

/// Half-year returns and final reports: signed by the manager, countersigned by the treasurer.
pub const RETURN: &[Step] = &[
    step(Sign, &[Draft], Signed, CspManager),
    step(Countersign, &[Signed], Submitted, Treasurer),
    step(Withdraw, &[Signed, Submitted], Draft, CspManager),
    step(StartReview, &[Submitted], UnderReview, OpccReviewer),
    step(RequestChanges, &[UnderReview], ChangesRequested, OpccReviewer),
    step(Accept, &[UnderReview], Accepted, OpccReviewer),
    step(Revise, &[ChangesRequested], Draft, CspManager),
];

/// Commissioning papers: the manager puts the paper to the partnership's board and records what
/// the board decided. The board is not a user of the service; its decisions reach it through the
/// manager. An agreed paper changes only by a new version: revising it makes it a draft again,
/// and the agreed version stays among its snapshots.
pub const COMMISSIONING_PAPER: &[Step] = &[
    step(Table, &[Draft], ForDiscussion, CspManager),
    step(Withdraw, &[ForDiscussion], Draft, CspManager),
    step(Agree, &[ForDiscussion], Agreed, CspManager),
    step(SendBack, &[ForDiscussion], ChangesRequested, CspManager),
    step(Revise, &[ChangesRequested, Agreed], Draft, CspManager),
];

pub fn table(kind: DocumentKind) -> &'static [Step] {
    match kind {
        DocumentKind::Plan => PLAN,
        DocumentKind::HalfYearReturn | DocumentKind::FinalReport => RETURN,
        DocumentKind::CommissioningPaper => COMMISSIONING_PAPER,
    }
}

/// The transitions `role` may take on a `kind` document in `status`.
pub fn allowed(kind: DocumentKind, status: Status, role: Role) -> Vec<Transition> {
    table(kind)
        .iter()
        .filter(|s| s.role == role && s.from.contains(&status))
        .map(|s| s.transition)
        .collect()
}

/// The state `transition` leads to, if the caller may take it now: 403 when the role never may,
/// 409 listing what is allowed when the state does not permit it.
pub fn check(kind: DocumentKind, status: Status, transition: Transition, caller: &Caller) -> Result<Status, Error> {
    let steps: Vec<&Step> = table(kind).iter().filter(|s| s.transition == transition).collect();
    let roles: Vec<Role> = steps.iter().map(|s| s.role).collect();
    caller.require(&roles)?;
    steps
        .iter()
        .find(|s| s.role == caller.role && s.from.contains(&status))
        .map(|s| s.to)
        .ok_or_else(|| Error::TransitionNotAllowed {
            detail: format!(
                "a {} that is {status} cannot be taken through {transition}",
                kind.noun()
            ),
            allowed: allowed(kind, status, caller.role)
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
        })
}

/// A Mermaid state diagram of a workflow table.
pub fn mermaid(kind: DocumentKind) -> String {
    let mut diagram = String::from("stateDiagram-v2\n    [*] --> draft\n");
    for step in table(kind) {
        for from in step.from {
            diagram.push_str(&format!(
                "    {from} --> {}: {} ({})\n",
                step.to, step.transition, step.role
            ));
        }
    }
    let end = match kind {
        DocumentKind::Plan => Approved,
        DocumentKind::CommissioningPaper => Agreed,
        _ => Accepted,
    };
    diagram.push_str(&format!("    {end} --> [*]\n"));
    diagram
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Principal;

    fn caller(role: Role) -> Caller {
        let partnership_id = role.is_partnership_role().then_some(1);
        Caller {
            principal: Principal::User(1),
            role,
            partnership_id,
            authentication: Default::default(),
        }
    }

    /// The whole plan table, row by row: (state, role, transition, expected outcome).
    #[test]
    fn the_plan_table_allows_exactly_its_rows() {
        let cases = [
            (Draft, CspManager, Submit, Ok(Submitted)),
            (Draft, Treasurer, Submit, Err(403)),
            (Draft, OpccReviewer, StartReview, Err(409)),
            (Submitted, CspManager, Withdraw, Ok(Draft)),
            (Submitted, OpccReviewer, StartReview, Ok(UnderReview)),
            (Submitted, OpccReviewer, Approve, Err(409)),
            (UnderReview, CspManager, Withdraw, Err(409)),
            (UnderReview, OpccReviewer, RecordDecisions, Ok(UnderReview)),
            (UnderReview, OpccReviewer, RequestChanges, Ok(ChangesRequested)),
            (UnderReview, OpccReviewer, Approve, Ok(Approved)),
            (UnderReview, Role::Admin, Approve, Err(403)),
            (ChangesRequested, CspManager, Revise, Ok(Draft)),
            (ChangesRequested, CspManager, Submit, Err(409)),
            (Approved, OpccReviewer, RequestChanges, Err(409)),
            (Approved, CspManager, Amend, Ok(Approved)),
            (Draft, CspManager, Amend, Err(409)),
        ];
        for (status, role, transition, expected) in cases {
            let outcome = check(DocumentKind::Plan, status, transition, &caller(role)).map_err(|e| match e {
                Error::Forbidden(_) => 403,
                Error::TransitionNotAllowed { .. } => 409,
                _ => 500,
            });
            assert_eq!(outcome, expected, "{status} {role} {transition}");
        }
    }

    #[test]
    fn returns_need_a_countersignature_before_review() {
        let kind = DocumentKind::HalfYearReturn;
        assert_eq!(allowed(kind, Draft, CspManager), [Sign]);
        assert_eq!(allowed(kind, Signed, Treasurer), [Countersign]);
        assert_eq!(allowed(kind, Signed, CspManager), [Withdraw]);
        assert_eq!(allowed(kind, Signed, OpccReviewer), []);
        assert_eq!(allowed(kind, Submitted, OpccReviewer), [StartReview]);
        assert_eq!(allowed(kind, UnderReview, OpccReviewer), [RequestChanges, Accept]);
        let refused = check(kind, Draft, Countersign, &caller(Treasurer));
        assert!(matches!(refused, Err(Error::TransitionNotAllowed { allowed, .. }) if allowed.is_empty()));
    }

    /// The README's diagrams are these tables, drawn: regenerate them when a table changes.
    #[test]
    fn the_readme_draws_these_tables() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        for kind in [
            DocumentKind::Plan,
            DocumentKind::HalfYearReturn,
            DocumentKind::CommissioningPaper,
        ] {
            let diagram = format!("```mermaid\n{}```", mermaid(kind));
            assert!(
                readme.contains(&diagram),
                "README.md lacks the {kind} diagram; it should read:\n{diagram}"
            );
        }
    }

    #[test]
    fn a_board_agrees_or_sends_back_a_paper_put_to_it() {
        let kind = DocumentKind::CommissioningPaper;
        assert_eq!(allowed(kind, Draft, CspManager), [Table]);
        assert_eq!(allowed(kind, ForDiscussion, CspManager), [Withdraw, Agree, SendBack]);
        assert_eq!(allowed(kind, Agreed, CspManager), [Revise]);
        assert_eq!(allowed(kind, ChangesRequested, CspManager), [Revise]);
        assert_eq!(allowed(kind, ForDiscussion, OpccReviewer), []);
        assert!(matches!(
            check(kind, ForDiscussion, Agree, &caller(Treasurer)),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            check(kind, Draft, Agree, &caller(CspManager)),
            Err(Error::TransitionNotAllowed { .. })
        ));
    }

    #[test]
    fn every_state_but_the_last_can_be_left() {
        for kind in [
            DocumentKind::Plan,
            DocumentKind::FinalReport,
            DocumentKind::CommissioningPaper,
        ] {
            for status in Status::ALL
                .iter()
                .filter(|s| table(kind).iter().any(|step| step.to == **s))
            {
                let leaves = table(kind)
                    .iter()
                    .any(|step| step.from.contains(status) && step.to != *status);
                let terminal = matches!(status, Approved | Accepted);
                assert!(leaves || terminal, "{kind}: {status} is a dead end");
            }
        }
    }
}
