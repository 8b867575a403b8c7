//! Everything that runs only on the server. Never compiled into the Wasm bundle.

pub mod allocator;
pub mod assets;
pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod dns;
pub mod geo;
pub mod identity;
pub mod mail;
pub mod maintenance;
pub mod memo;
pub mod middleware;
pub mod net;
pub mod password;
pub mod rate_limit;
pub mod rest;
pub mod router;
pub mod sms;
pub mod state;
