//! Login History server functions: one filtered, keyset-paginated page with
//! its chart. The export is a plain GET route (`server/history_export.rs`).

use super::HistoryPage;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{
    filter::HistoryFilter,
    server::{history_page, store::history},
};
#[cfg(feature = "ssr")]
use crate::{
    server::auth::{app_state, require_user},
    team::server::managing_membership,
};

/// One page of the signed-in user's security events for the filter in
/// `query` (the page's URL query), newest first, with the chart of the range.
#[server(endpoint = "login_history", output = crate::codec::Json)]
pub async fn login_history(query: String) -> Result<HistoryPage, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let filter = HistoryFilter::from_query(&query)
        .map_err(|message| AppError::validation("filter", message))?;
    history_page(&state, history::Scope::User(&session.user.id), filter, true).await
}

/// The organization's team events (Login History filters and pages);
/// Owners and Admins.
#[server(endpoint = "org_history", output = crate::codec::Json)]
pub async fn get_org_history(query: String) -> Result<HistoryPage, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let membership = managing_membership(&state, &session.user.id).await?;
    let filter = HistoryFilter::from_query(&query)
        .map_err(|message| AppError::validation("filter", message))?;
    let scope = history::Scope::Org(&membership.organization.id);
    history_page(&state, scope, filter, true).await
}
