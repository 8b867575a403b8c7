//! The `/api/v1` JSON API for API-key clients: `Authorization: Bearer ssk_…`,
//! no cookies (so no CSRF check), JSON errors `{"error": {"code", "message"}}`.

pub mod auth;
pub mod openapi;
pub mod quota;

use crate::error::AppError;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// Where the API is mounted.
pub const BASE_PATH: &str = "/api/v1";

/// What every handler of the API returns.
pub type ApiResult<T> = Result<T, ApiError>;

/// The answer to a path the API does not have.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// The answer to a method a path of the API does not support.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not support that method.",
    )
}

/// An error as the API sends it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    retry_after: Option<u64>,
    challenge: Option<String>,
}

/// `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`,
    /// `invalid_input`, `rate_limited`, `method_not_allowed`, `internal`.
    pub code: String,
    /// For people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            challenge: None,
        }
    }

    /// 401 with a `WWW-Authenticate` challenge naming the problem (RFC 6750:
    /// none when the request carried no credentials at all).
    pub fn unauthorized(message: impl Into<String>, error: Option<&'static str>) -> ApiError {
        ApiError {
            challenge: Some(error.map_or(String::new(), |e| format!(", error=\"{e}\""))),
            ..ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    /// 422 for a refused input, naming the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        AppError::validation(field, message).into()
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        let message = error.to_string();
        let status = error.status();
        match error {
            AppError::RateLimited { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(
                    status,
                    "rate_limited",
                    format!("This key made too many requests. Try again in {retry_after} seconds."),
                )
            },
            AppError::Validation { .. } | AppError::InvalidCode => {
                ApiError::new(status, "invalid_input", message)
            }
            AppError::NotFound => ApiError::not_found(),
            AppError::Forbidden | AppError::ReauthRequired => {
                ApiError::new(status, "forbidden", message)
            }
            AppError::TwoFactorRequired => ApiError::new(status, "two_factor_required", message),
            AppError::PasskeyRequired => ApiError::new(status, "passkey_required", message),
            AppError::EmailUnverified => ApiError::new(status, "email_unverified", message),
            AppError::Unauthenticated | AppError::InvalidCredentials => {
                ApiError::unauthorized(message, Some("invalid_token"))
            }
            AppError::Unavailable { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(status, "unavailable", message)
            },
            AppError::Internal => ApiError::new(status, "internal", message),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> ApiError {
        ApiError::from(AppError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(error) = self.challenge
            && let Ok(value) =
                HeaderValue::from_str(&format!("Bearer realm=\"StatusStack API\"{error}"))
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
