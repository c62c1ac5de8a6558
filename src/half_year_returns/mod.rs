//! Half-year returns: the money claimed for the half (£200,284 of £400,568 in 2017-18), the
//! invoice, and per project (lettered A, B, ...; one per plan line) its provider, funding,
//! spending to date, outcomes achieved against the plan's indicators, and a RAG rating.

pub mod http;
mod model;
mod record;
pub mod review;
pub mod rules;
mod store;

pub use model::*;
