//! One file per table: free async functions over the pool.

pub mod rate_limits;
