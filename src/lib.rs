//! cspfund: the system of record for a Police and Crime Commissioner's Community Safety
//! Partnership Fund. Partnerships plan how they spend their yearly grant, report at half year
//! and year end, sign their returns; the Commissioner's office reviews and approves.
//!
//! Modules follow the domain: `partnerships`, `users`, `api_clients`, `auth` (roles, callers,
//! tokens); `money` and `timestamps` hold value types; `db` and `http` are the two edges.

pub mod accounts;
pub mod allocations;
pub mod api_clients;
pub mod attachments;
pub mod auth;
pub mod bootstrap;
pub mod canonical;
pub mod cli;
pub mod clock;
pub mod commissioning;
pub mod config;
pub mod db;
pub mod deadlines;
pub mod demo;
pub mod documents;
pub mod error;
pub mod exports;
pub mod external_references;
pub mod final_reports;
pub mod fund_years;
pub mod half_year_returns;
pub mod history;
pub mod http;
pub mod indicators;
pub mod instance_secrets;
pub mod lifecycle;
pub mod measures;
pub mod metrics;
pub mod money;
pub mod open_json;
pub mod pagination;
pub mod partnerships;
pub mod patch;
pub mod payments;
pub mod plans;
pub mod preconditions;
pub mod priority_sets;
pub mod publishing;
pub mod records;
pub mod reports;
pub mod schema;
pub mod secrets;
pub mod server;
pub mod service_key;
pub mod signatures;
pub mod spans;
pub mod stored_enum;
pub mod tables;
pub mod timestamps;
pub mod trace_context;
pub mod users;
pub mod versions;
pub mod webhooks;
pub mod workflow;
