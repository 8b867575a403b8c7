//! One PostgreSQL database per test: created on the shared server,
//! configured so a stuck statement says so, and dropped afterwards.

use sqlx::Connection;

/// How long dropping a test's PostgreSQL database may take.
const DROP_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The admin connection URL (`TEST_POSTGRES_URL`).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The server's `host:port` in a PostgreSQL URL.
pub fn host_and_port(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map(|(_, host)| host)
        .unwrap_or(authority);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

/// The same URL with the server at `127.0.0.1:port` (a proxy in front of it).
pub fn via_port(url: &str, port: &str) -> String {
    url.replacen(&host_and_port(url), &format!("127.0.0.1:{port}"), 1)
}

/// The same server's URL for `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base);
    format!("{prefix}/{database}{query}")
}

/// Creates the database `ss_test_<id>`; returns the admin URL and its name.
pub async fn create_test_database(id: &str) -> (String, String) {
    let admin = postgres_admin_url();
    let name = format!("ss_test_{id}");
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at TEST_POSTGRES_URL={admin}: {e}")
        });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    // A statement stuck behind a lock fails after 10 s with an error, and
    // PostgreSQL's log names both sides, instead of a page that stalls until
    // the client gives up.
    for setting in ["lock_timeout = '10s'", "log_lock_waits = on"] {
        sqlx::query(&format!("ALTER DATABASE {name} SET {setting}"))
            .execute(&mut conn)
            .await
            .expect("configure the test database");
    }
    (admin, name)
}

/// Drops the database, bounded in time.
pub fn drop_test_database(admin: String, name: String) {
    // Drop the per-test database from a separate runtime: Drop cannot await.
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Bounded: a database left behind is cleaned up by the next run,
        // a drop that waits forever would stall the whole suite.
        let drop_database = async move {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                let _ = sqlx::query("SET lock_timeout = '5s'")
                    .execute(&mut conn)
                    .await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        };
        runtime.block_on(async move {
            let _ = tokio::time::timeout(DROP_TIME_LIMIT, drop_database).await;
        });
    })
    .join();
}
