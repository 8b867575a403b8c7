//! One file per table: free async functions over the pool.

pub mod account_tokens;
pub mod api_keys;
pub mod events;
pub mod history;
pub mod orgs;
pub mod rate_limits;
pub mod sessions;
pub mod two_factor;
pub mod users;
