//! Server entry point: configuration, database, router, serve.

// mimalloc for everything Rust allocates: under load, glibc's malloc spent a
// third of the server's CPU in its own code and in waking threads queued on
// its arena locks (perf, README "Benchmark"); a page render allocates many
// small strings on whichever worker thread runs it.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use statusstack::server::{config, router};

    if std::env::args().any(|arg| arg == "--help" || arg == "-h") {
        print!("{}", config::HELP);
        return;
    }
    let _ = dotenvy::dotenv();
    let config = match config::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            std::process::exit(2);
        }
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&config.log_level) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!(
                "configuration error: LOG_LEVEL: {:?} is not a valid filter ({error})",
                config.log_level
            );
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt().with_env_filter(filter).init();
    statusstack::server::allocator::configure();
    let bind_addr = config.bind_addr;
    let state = match router::build_state(config).await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("start-up failed: {error:#}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(bind_addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("BIND_ADDR: cannot listen on {bind_addr}: {error}");
            std::process::exit(1);
        }
    };
    tracing::info!(
        "listening on http://{bind_addr} (public URL {})",
        state.config.public_url.origin
    );
    if let Err(error) = router::serve(listener, state).await {
        eprintln!("server stopped: {error}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {}
