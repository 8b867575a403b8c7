//! Integration tests: the real server on a free port, driven over HTTP, each
//! test once on SQLite and once on PostgreSQL.
#![cfg(feature = "ssr")]

#[macro_use]
mod helpers;
mod active_sessions;
mod api_keys;
mod architecture;
mod assets;
mod checkup;
mod connections;
mod csrf_and_headers;
mod dns;
mod hardening;
mod identity_harness;
mod login_history;
mod login_history_search;
mod mail;
mod passkeys;
mod password_change;
mod recovery;
mod reliability;
mod render_cost;
mod sessions;
mod sign_in;
mod sign_up;
mod sso;
mod team;
mod two_factor;
