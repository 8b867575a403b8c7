//! The Login History's SQL: the append-only `security_events` table (with
//! its per-day counts) and the filtered, keyset-paginated reads of it.

pub mod events;
pub mod history;
