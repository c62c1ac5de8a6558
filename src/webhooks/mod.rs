//! Webhooks, as the Standard Webhooks 1.0 specification describes them: subscriptions made
//! through the API, events in the fund's words, a durable outbox written with each change, and
//! a worker in every instance that delivers it, signed, in order, retried for over a day.

pub mod delivery;
pub mod events;
pub mod http;
pub mod outbox;
pub mod subscriptions;
pub mod worker;
