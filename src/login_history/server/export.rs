//! `GET /settings/security/history/export?format=csv|json&<filter>`: the
//! filtered Login History as a streamed download, read in keyset batches so
//! any size streams in constant memory. The export is itself an event.

use crate::error::AppError;
use crate::login_history::filter::{Cursor, HistoryFilter, PagePosition};
use crate::login_history::server::event_row;
use crate::login_history::server::record::record_event;
use crate::login_history::server::store::history;
use crate::login_history::{EventKind, EventRow, Outcome};
use crate::server::auth::{ResolvedSession, client_meta_from};
use crate::server::state::AppState;
use crate::time::{iso_date, utc_datetime};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use sqlx::AnyPool;
use std::net::SocketAddr;

/// Where the export is served.
pub const EXPORT_PATH: &str = "/settings/security/history/export";
const BATCH: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// Streams the signed-in user's filtered events (the page guard has already
/// sent anyone signed out to the sign-in page).
pub async fn export(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    match start_export(&state, &parts).await {
        Ok(response) => response,
        Err(error) => (error.status(), error.to_string()).into_response(),
    }
}

async fn start_export(
    state: &AppState,
    request: &http::request::Parts,
) -> Result<Response, AppError> {
    // Exporting records an event: a GET with a side effect, so only our own
    // page (or the address bar) may start one, never a cross-site link or image.
    let site = request
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if !matches!(site, Some("same-origin" | "none")) {
        return Err(AppError::validation(
            "export",
            "Start the export from the Login History on your Security page.",
        ));
    }
    let session = request
        .extensions
        .get::<ResolvedSession>()
        .map(|resolved| resolved.0.clone())
        .ok_or(AppError::Unauthenticated)?;
    let query = request.uri.query().unwrap_or_default();
    let format = export_format(query)?;
    let filter = HistoryFilter::from_query(query)
        .map_err(|message| AppError::validation("filter", message))?;
    let now = state.now();
    let window = super::checked_window(state, &filter, now)?;
    let peer = request
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let client = client_meta_from(&request.headers, peer, state.config.trust_proxy_headers);
    record_event(state,
            Some(&session.user.id),
            EventKind::HistoryExported,
            Outcome::Success,
            &client,
            serde_json::json!({"format": if format == Format::Csv { "csv" } else { "json" }, "filter": filter.to_query()}),
        )
        .await?;
    let batches = event_batches(
        state.pool.clone(),
        session.user.id.clone(),
        filter,
        window,
        format,
    );
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let filename = format!("statusstack-login-history-{}.{extension}", iso_date(now));
    Ok((
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(batches),
    )
        .into_response())
}

/// The `format=` of the export's query: csv (the default) or json.
fn export_format(query: &str) -> Result<Format, AppError> {
    match query
        .split('&')
        .find_map(|pair| pair.strip_prefix("format="))
        .unwrap_or("csv")
    {
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        _ => Err(AppError::validation("format", "Export as csv or json.")),
    }
}

/// The user's events in `window` matching `filter`, newest first, rendered
/// in batches of `BATCH` rows read one keyset page at a time.
fn event_batches(
    pool: AnyPool,
    user_id: String,
    filter: HistoryFilter,
    window: (i64, i64),
    format: Format,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(Some((PagePosition::Newest, true)), move |next| {
        let (pool, user_id, filter) = (pool.clone(), user_id.clone(), filter.clone());
        async move {
            let (position, first) = next?;
            let rows = match history::page(
                &pool,
                history::Scope::User(&user_id),
                &filter,
                window,
                &position,
                BATCH,
            )
            .await
            {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::error!(error = ?error, "login history export failed");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            };
            let last = rows.last().map(|event| Cursor {
                at: event.occurred_at,
                id: event.id.clone(),
            });
            let full = rows.len() == BATCH;
            let events: Vec<EventRow> = rows.into_iter().map(event_row).collect();
            let chunk = render_batch(format, &events, first, !full);
            let next = last
                .filter(|_| full)
                .map(|cursor| (PagePosition::Before(cursor), false));
            Some((Ok(Bytes::from(chunk)), next))
        }
    })
}

const CSV_HEADER: &str = "time_utc,event,kind,result,device,location,ip,detail\n";

/// One batch as CSV rows (with the header first) or as part of a JSON array.
fn render_batch(format: Format, events: &[EventRow], first: bool, last: bool) -> String {
    let mut out = String::new();
    match format {
        Format::Csv => {
            if first {
                out.push_str(CSV_HEADER);
            }
            for event in events {
                let fields = [
                    utc_datetime(event.occurred_at),
                    event.label.clone(),
                    event.kind.clone(),
                    event.outcome.as_str().to_string(),
                    event.device.clone(),
                    event.location.clone(),
                    event.ip.clone(),
                    event.detail.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        Format::Json => {
            if first {
                out.push('[');
            }
            for (index, event) in events.iter().enumerate() {
                if !(first && index == 0) {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(event).unwrap_or_else(|_| "null".into()));
            }
            if last {
                out.push_str("]\n");
            }
        }
    }
    out
}

/// Quotes a CSV field, and defuses text a spreadsheet would run as a formula.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Chrome on \"Mac\""), "\"Chrome on \"\"Mac\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn json_batches_join_into_one_array() {
        let row = EventRow {
            id: "a".into(),
            kind: "sign_in".into(),
            label: "Signed in".into(),
            category: None,
            outcome: Outcome::Success,
            occurred_at: 0,
            ip: "1.2.3.4".into(),
            device: "d".into(),
            location: "l".into(),
            detail: String::new(),
        };
        let text = render_batch(Format::Json, std::slice::from_ref(&row), true, false)
            + &render_batch(Format::Json, std::slice::from_ref(&row), false, true);
        let parsed: Vec<EventRow> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        let empty = render_batch(Format::Json, &[], true, true);
        assert_eq!(empty.trim(), "[]");
    }
}
