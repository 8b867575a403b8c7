//! The SQL of signing in: the `sessions` and `users` tables.

pub mod sessions;
pub mod users;
