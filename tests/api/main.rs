//! Integration tests: the service over real HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

// A failed expectation in a test is a test failure: panicking is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod attachments;
mod auth;
mod command_line;
mod commissioning;
mod deadlines;
mod demo;
mod deployment;
mod dry_run;
mod errors;
mod exports;
mod final_reports;
mod fixtures;
mod half_year_returns;
mod hostile;
mod identity_providers;
mod integrity;
mod layers;
mod oauth;
mod openapi;
mod payments;
mod plans;
mod publishing;
mod races;
mod records;
mod reference_data;
mod reports;
mod schema;
mod scoping;
mod signatures;
mod support;
mod sync;
mod webhooks;
mod workflow;
