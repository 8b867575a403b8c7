//! The Login History's SQL: the append-only `security_events` table (with
//! its per-day counts by origin) and the filtered, keyset-paginated reads of it.

mod conditions;
pub mod events;
pub mod history;
mod origins;
mod search;
