//! Final evaluation reports: at year end, per plan line the amount allocated and actually
//! spent, the variance and its explanation, virements between lines (2017-18: £440 of the
//! infrastructure underspend met the ASB overspend), outcomes and an anonymised case study; and
//! the unspent balance with its proposed treatment.

pub mod http;
mod model;
mod record;
pub mod review;
pub mod rules;
mod store;

pub use model::*;
