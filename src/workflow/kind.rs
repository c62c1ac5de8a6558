//! The names of the kinds of document, whose workflows differ. Nothing here knows how a kind
//! is stored: attachments, signatures, snapshots, deadlines and the history name documents by
//! kind without depending on them.

crate::stored_enum! {
    /// The kinds of document, as named in attachments and history.
    pub enum DocumentKind {
        Plan => "plan",
        HalfYearReturn => "half_year_return",
        FinalReport => "final_report",
        CommissioningPaper => "commissioning_paper",
    }
}

impl DocumentKind {
    /// The collection's path segment: `plans`, `half-year-returns`, `final-reports`.
    pub fn collection(self) -> &'static str {
        match self {
            DocumentKind::Plan => "plans",
            DocumentKind::HalfYearReturn => "half-year-returns",
            DocumentKind::FinalReport => "final-reports",
            DocumentKind::CommissioningPaper => "commissioning-papers",
        }
    }

    /// What the document is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            DocumentKind::Plan => "plan",
            DocumentKind::HalfYearReturn => "half-year return",
            DocumentKind::FinalReport => "final report",
            DocumentKind::CommissioningPaper => "commissioning paper",
        }
    }
}
