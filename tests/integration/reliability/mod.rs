//! Reliability: a starved pool, an unreachable database, bursts across
//! rate-limit boundaries.

mod hostile;
mod outage;
mod process;
mod stall;
mod starved_pool;
mod two_instances;
