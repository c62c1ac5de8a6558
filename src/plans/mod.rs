//! Spending Intentions Plans: per allocation, the lines (projects, services, pilots) the
//! partnership will spend its money on, with sub-allocations, providers, the Police & Crime Plan
//! priorities each serves, and how outcomes will be measured.

pub mod amendments;
mod citations;
pub mod http;
mod model;
mod record;
pub mod review;
pub mod rules;
mod store;

pub use citations::{IndicatorRef, LineRef, cited_by, cited_in};
pub use model::*;
