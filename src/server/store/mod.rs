//! One file per table: free async functions over the pool.

pub mod account_tokens;
pub mod rate_limits;
