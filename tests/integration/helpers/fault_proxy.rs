//! A fault-injecting TCP proxy between a test server and PostgreSQL: it
//! forwards bytes, and on command cuts every connection and refuses new
//! ones, or delays every chunk.

use super::{Db, TestApp, postgres};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The proxy's controls; it runs until the test's runtime ends.
pub struct FaultProxy {
    pub port: u16,
    down: Arc<AtomicBool>,
    latency_ms: Arc<AtomicU64>,
    cuts: watch::Sender<u64>,
}

impl FaultProxy {
    /// Listens on a free port and forwards to `upstream` (host:port).
    pub async fn start(upstream: String) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cuts, _) = watch::channel(0_u64);
        let proxy = FaultProxy {
            port,
            down: Arc::default(),
            latency_ms: Arc::default(),
            cuts,
        };
        let (down, latency, cuts) = (
            proxy.down.clone(),
            proxy.latency_ms.clone(),
            proxy.cuts.clone(),
        );
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if down.load(Ordering::SeqCst) {
                    // Refused: accepted and closed at once, as a server
                    // that is going down does.
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(forward(client, server, latency.clone(), cuts.subscribe()));
            }
        });
        proxy
    }

    /// Cuts every open connection and refuses new ones until [`restore`].
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Delays every chunk in either direction by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }
}

async fn forward(
    client: TcpStream,
    server: TcpStream,
    latency: Arc<AtomicU64>,
    mut cuts: watch::Receiver<u64>,
) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = pump(client_read, server_write, latency.clone()) => {}
        _ = pump(server_read, client_write, latency) => {}
        _ = cuts.changed() => {}
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    latency: Arc<AtomicU64>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            return;
        }
        let delay = latency.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

impl TestApp {
    /// A server on its own PostgreSQL database, reached through a new
    /// fault proxy; the test's own `direct` pool bypasses the proxy.
    pub async fn spawn_behind_proxy() -> (TestApp, FaultProxy, sqlx::AnyPool) {
        let admin = postgres::postgres_admin_url();
        let proxy = FaultProxy::start(postgres::host_and_port(&admin)).await;
        let app = TestApp::spawn_with(
            Db::Postgres,
            &[("POSTGRES_VIA_PORT", &proxy.port.to_string())],
        )
        .await;
        let direct = sqlx::AnyPool::connect(&app.direct_database_url())
            .await
            .unwrap();
        (app, proxy, direct)
    }
}
