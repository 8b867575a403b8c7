//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers (utoipa).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "StatusStack Security API",
        version = "1",
        description = "Your account's security data. Authenticate with `Authorization: Bearer ssk_…` (Settings → API Keys). Read-only keys read; Read/Write keys also sign out sessions; Admin keys also manage API keys. Each key may make `API_RATE_LIMIT_PER_MINUTE` requests a minute (default 600). Times are Unix milliseconds."
    ),
    paths(
        crate::account::server::rest::me,
        crate::sessions::server::rest::list_sessions,
        crate::sessions::server::rest::revoke_session,
        crate::login_history::server::rest::login_history,
        crate::api_keys::server::rest::list_api_keys,
        crate::api_keys::server::rest::create_api_key,
        crate::api_keys::server::rest::revoke_api_key,
    ),
    modifiers(&BearerKeys),
)]
struct ApiDoc;

struct BearerKeys;

impl utoipa::Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ssk_…")
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi().to_pretty_json().unwrap_or_else(|error| {
            tracing::error!(error = %error, "could not render the OpenAPI document");
            String::from("{}")
        })
    })
}

/// `GET /api/v1/openapi.json`; public, like any API reference.
pub async fn document() -> Response {
    let mut response = document_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
