//! Accounts on the server: sign-up, sign-in, sign-out, password changes and
//! the account overview.

pub mod rest;
