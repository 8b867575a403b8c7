//! A fault-injecting TCP proxy between a test server and PostgreSQL: it
//! forwards bytes, and on command cuts every connection and refuses new
//! ones, or delays every chunk. It also reads the client's side of the wire
//! protocol to count the statements and round trips the server makes.

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
    tally: Arc<WireTally>,
}

/// What the server asked of PostgreSQL through the proxy, from the
/// frontend messages it sent: an `Execute` or a simple `Query` runs a
/// statement; a `Sync` or a simple `Query` ends a round trip (the server
/// waits for `ReadyForQuery`), pings included.
#[derive(Default)]
pub struct WireTally {
    statements: AtomicU64,
    round_trips: AtomicU64,
}

/// A reading of the tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireCount {
    pub statements: u64,
    pub round_trips: u64,
}

impl WireCount {
    /// What happened between `earlier` and this reading.
    pub fn since(self, earlier: WireCount) -> WireCount {
        WireCount {
            statements: self.statements - earlier.statements,
            round_trips: self.round_trips - earlier.round_trips,
        }
    }
}

impl WireTally {
    fn message(&self, kind: u8) {
        match kind {
            b'E' => {
                self.statements.fetch_add(1, Ordering::SeqCst);
            }
            b'S' => {
                self.round_trips.fetch_add(1, Ordering::SeqCst);
            }
            b'Q' => {
                self.statements.fetch_add(1, Ordering::SeqCst);
                self.round_trips.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
    }
}

/// Splits the client's byte stream into frontend messages: untyped
/// start-up messages (an `SSLRequest` or `GSSENCRequest` is followed by
/// another), then `type, length, body` messages.
struct FrontendReader {
    started: bool,
    header: Vec<u8>,
    remaining: usize,
}

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

impl FrontendReader {
    fn new() -> FrontendReader {
        FrontendReader {
            started: false,
            header: Vec::with_capacity(8),
            remaining: 0,
        }
    }

    fn feed(&mut self, mut bytes: &[u8], tally: &WireTally) {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(bytes.len());
                self.remaining -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let header_len = if self.started { 5 } else { 8 };
            let take = (header_len - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.header.len() < header_len {
                return;
            }
            let at = if self.started { 1 } else { 0 };
            let length = u32::from_be_bytes(self.header[at..at + 4].try_into().unwrap()) as usize;
            if self.started {
                tally.message(self.header[0]);
                self.remaining = length - 4;
            } else {
                let code = u32::from_be_bytes(self.header[4..8].try_into().unwrap());
                self.started = !matches!(code, SSL_REQUEST | GSSENC_REQUEST);
                self.remaining = length - 8;
            }
            self.header.clear();
        }
    }
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
            tally: Arc::default(),
        };
        let (down, latency, cuts, tally) = (
            proxy.down.clone(),
            proxy.latency_ms.clone(),
            proxy.cuts.clone(),
            proxy.tally.clone(),
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
                tokio::spawn(forward(
                    client,
                    server,
                    latency.clone(),
                    cuts.subscribe(),
                    tally.clone(),
                ));
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

    /// Statements and round trips sent through the proxy so far.
    pub fn wire_count(&self) -> WireCount {
        WireCount {
            statements: self.tally.statements.load(Ordering::SeqCst),
            round_trips: self.tally.round_trips.load(Ordering::SeqCst),
        }
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
    tally: Arc<WireTally>,
) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = pump(client_read, server_write, latency.clone(), Some(tally)) => {}
        _ = pump(server_read, client_write, latency, None) => {}
        _ = cuts.changed() => {}
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    latency: Arc<AtomicU64>,
    tally: Option<Arc<WireTally>>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut reader = FrontendReader::new();
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            return;
        }
        if let Some(tally) = &tally {
            reader.feed(&buffer[..read], tally);
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
