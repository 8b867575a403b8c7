//! Builds the axum router around the Leptos app and serves it.

use crate::app::{App, shell};
use crate::server::config::Config;
use crate::server::crypto::ServerKey;
use crate::server::mail::queue::spawn_worker;
use crate::server::middleware::headers::CspNonce;
use crate::server::state::AppState;
use crate::server::{assets, db, geo, maintenance, middleware, rest};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use http::request::Parts;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

/// No form of ours comes near this; larger bodies are refused with 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The name cargo-leptos gives the built Wasm, JS and CSS (`output-name`).
const OUTPUT_NAME: &str = "statusstack";

/// Connects the database, loads the key and assembles the state.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    // Before anything is created: a mismatched site is a build mistake.
    let built = assets::BuiltNames::of_this_binary(OUTPUT_NAME);
    built.check_site(&config.site_root)?;
    let pool =
        db::connect_and_migrate(&config.database_url, config.database_max_connections).await?;
    let key = ServerKey::load(
        config.secret_key_hex.as_ref().map(|s| s.0.as_str()),
        &config.secret_key_file,
    )?;
    let leptos_options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .hash_files(built.hashed)
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind_addr)
        .build();
    let geo = geo::from_config(config.geoip_db.as_deref())?;
    let dns = crate::server::dns::from_config(config.dns_nameserver)?;
    let sms = crate::server::sms::build_sender(config.sms.clone(), pool.clone())?;
    let identity = Arc::new(crate::server::identity::IdentityProviders::new(
        config.identity.clone(),
        &config.public_url.origin,
        config.public_url.https,
    )?);
    Ok(AppState {
        identity,
        sms,
        api_quota: Arc::default(),
        mail: crate::server::mail::build_sender(&config.mail, &config.data_dir)?,
        mail_wakeup: Arc::default(),
        clock: Arc::new(crate::server::clock::SystemClock),
        password_gate: Arc::new(crate::server::password::gate::HashGate::new(
            config.password_hash_threads,
            config.password_hash_queue,
        )),
        geo,
        dns,
        pool,
        config: Arc::new(config),
        key,
        leptos_options,
    })
}

/// What every render and server function gets in its context.
fn request_context(state: AppState) -> impl Fn() + Clone + Send + 'static {
    move || {
        provide_context(state.clone());
        let parts = use_context::<Parts>();
        // Use the nonce the security-headers middleware put in the CSP header.
        if let Some(nonce) = parts
            .as_ref()
            .and_then(|parts| parts.extensions.get::<CspNonce>())
        {
            provide_context(Nonce::from_value(nonce.0.clone()));
        }
        if parts.is_some_and(|parts| parts.method == http::Method::GET) {
            provide_context(crate::server::memo::RenderMemo::default());
        }
    }
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => (http::StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(error = ?error, "health check failed");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
        }
    }
}

/// The `/api/v1` JSON API: each room's endpoints and the OpenAPI document.
fn json_api() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(rest::openapi::document))
        .merge(crate::account::server::rest::routes())
        .merge(crate::sessions::server::rest::routes())
        .merge(crate::login_history::server::rest::routes())
        .merge(crate::api_keys::server::rest::routes())
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
}

/// The app's routes, generated once per process. Generating renders the
/// app with every resource load held back by a process-wide flag of
/// Leptos (`SuppressResourceLoad`): a page another server in this process
/// rendered meanwhile would wait forever for its data. Once, before any
/// server serves, no render can overlap it.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: pages, server functions, static files, guards.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let options = state.leptos_options.clone();
    let context = request_context(state.clone());
    Router::new()
        .route("/", get(|| async { Redirect::to("/settings/security") }))
        .route("/healthz", get(health))
        .merge(assets::routes(&state.config.site_root))
        .nest(rest::BASE_PATH, json_api())
        .route(
            "/auth/oauth/{provider}/callback",
            get({
                let context = context.clone();
                move |path, request| provider_callback(context.clone(), path, request)
            }),
        )
        .route(
            crate::sso::CALLBACK_PATH,
            get({
                let context = context.clone();
                move |request| sso_callback(context.clone(), request)
            }),
        )
        .route(
            crate::login_history::server::export::EXPORT_PATH,
            get(crate::login_history::server::export::export),
        )
        // Also registers every server function at its /api/ path (POST only).
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn(
            middleware::form_input::refuse_unreadable_text,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard::page_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::flash::page_flash,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::flash::no_script_form_flash,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf::csrf_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard::local_redirects_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::headers::security_headers,
        ))
        .layer(axum::middleware::from_fn(
            middleware::compression::mark_compressible,
        ))
        .layer(middleware::compression::layer())
        .with_state(state)
}

/// A sign-in provider's redirect back to us, one path per provider (so a
/// provider's answer can never be taken for another's): handed to the
/// `oauth_callback` server function with the provider named in its query.
async fn provider_callback(
    context: impl Fn() + Clone + Send + 'static,
    axum::extract::Path(provider): axum::extract::Path<String>,
    request: axum::extract::Request,
) -> axum::response::Response {
    // The path names the provider; a `provider` in the query is not the
    // provider's to set.
    let query: String = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("provider=") && *pair != "provider")
        .map(|pair| format!("&{pair}"))
        .collect();
    let provider = crate::server::crypto::totp::percent_encode(&provider);
    let target = format!("/api/oauth_callback?provider={provider}{query}");
    hand_to_server_fn(context, request, &target).await
}

/// An organization's identity provider's redirect back to us, handed to
/// the `sso_callback` server function with its query as it came.
async fn sso_callback(
    context: impl Fn() + Clone + Send + 'static,
    request: axum::extract::Request,
) -> axum::response::Response {
    let query = request.uri().query().unwrap_or_default().to_string();
    hand_to_server_fn(context, request, &format!("/api/sso_callback?{query}")).await
}

/// Runs the GET server function at `target` for `request`.
async fn hand_to_server_fn(
    context: impl Fn() + Clone + Send + 'static,
    mut request: axum::extract::Request,
    target: &str,
) -> axum::response::Response {
    match target.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return http::StatusCode::BAD_REQUEST.into_response(),
    }
    leptos_axum::handle_server_fns_with_context(context, request)
        .await
        .into_response()
}

/// How long in-flight requests may run on after SIGTERM or Ctrl-C.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until SIGTERM or Ctrl-C (or the listener fails); starts
/// housekeeping and the mail worker alongside. On the signal it stops
/// accepting at once and lets requests in flight finish for up to
/// [`SHUTDOWN_GRACE`]; queued mail stays in the database for the next start.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    use std::future::IntoFuture;
    maintenance::spawn(state.clone());
    spawn_worker(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Without TCP_NODELAY small responses wait on delayed ACKs (~40 ms each).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY");
        }
    });
    let stopping = Arc::new(tokio::sync::Notify::new());
    let server = axum::serve(listener, app)
        .with_graceful_shutdown({
            let stopping = stopping.clone();
            async move {
                shutdown_signal().await;
                tracing::info!("shutting down: no new connections, finishing requests in flight");
                stopping.notify_one();
            }
        })
        .into_future();
    tokio::select! {
        served = server => served,
        _ = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
