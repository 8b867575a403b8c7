//! The Active Sessions section of the Security page.

use super::api::{MarkSessionsReviewed, RevokeOtherSessions, RevokeSession, list_sessions};
use super::{DeviceKind, MassRevocation, SessionInfo, SessionsOverview};
use crate::error::AppError;
use crate::two_factor::api::sudo_prompt;
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, Tone, action_error, focus_soon};
use leptos::prelude::*;

const BUTTON_SECONDARY: &str = "inline-flex items-center rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800";
const BUTTON_DANGER: &str = "inline-flex items-center rounded-lg bg-red-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:opacity-60";
const SUMMARY: &str = "cursor-pointer list-none rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800 [&::-webkit-details-marker]:hidden";

/// Every signed-in device with where and when, revocable one by one or all
/// at once; the monthly review reminder. The page owns the revoke actions so
/// that its other sections can refresh when sessions end.
#[component]
pub fn ActiveSessions(
    revoke: ServerAction<RevokeSession>,
    revoke_others: ServerAction<RevokeOtherSessions>,
) -> impl IntoView {
    let reviewed = ServerAction::<MarkSessionsReviewed>::new();
    let overview = Resource::new(
        move || {
            (
                revoke.version().get(),
                revoke_others.version().get(),
                reviewed.version().get(),
            )
        },
        |_| list_sessions(),
    );
    let last_error = move || {
        let errors = [
            revoke.value().get().and_then(Result::err),
            revoke_others.value().get().and_then(Result::err),
            reviewed.value().get().and_then(Result::err),
        ];
        errors.into_iter().flatten().next()
    };
    let ended = move || revoke_others.value().get().and_then(Result::ok);
    let revoked = move || matches!(revoke.value().get(), Some(Ok(())));
    Effect::new(move |_| {
        if revoked() {
            focus_soon("sessions-status", false);
        }
    });
    view! {
        <div class="space-y-4">
            <p id="sessions-status" data-testid="sessions-status" role="status" tabindex="-1"
                class="text-sm font-medium text-emerald-800 empty:hidden dark:text-emerald-200">
                {move || revoked().then_some("Session signed out. That device has to sign in again.")}
            </p>
            {move || last_error().map(|error| view! { <Alert tone=Tone::Error>{error_text(&error)}</Alert> })}
            {move || ended().map(|count| view! {
                <Alert tone=Tone::Success>{match count {
                    0 => "There were no other sessions to sign out.".to_string(),
                    1 => "Signed out 1 other session.".to_string(),
                    n => format!("Signed out {n} other sessions."),
                }}</Alert>
            })}
            <Transition fallback=|| view! { <div class="h-24 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(data) => view! {
                            <SessionList data revoke reviewed revoke_others/>
                        }.into_any(),
                        Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

fn error_text(error: &AppError) -> String {
    match error {
        AppError::ReauthRequired => "Enter your password to sign out other sessions.".into(),
        AppError::NotFound => "That session has already ended.".into(),
        other => other.to_string(),
    }
}

#[component]
fn SessionList(
    data: SessionsOverview,
    revoke: ServerAction<RevokeSession>,
    reviewed: ServerAction<MarkSessionsReviewed>,
    revoke_others: ServerAction<RevokeOtherSessions>,
) -> impl IntoView {
    let others = data.sessions.iter().filter(|s| !s.current).count();
    let needs_password = data.needs_password;
    let factor = data.sudo_factor;
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-4 py-3 text-sm dark:bg-slate-800/60">
            <p class="text-slate-600 dark:text-slate-300" data-testid="review-status">
                {match data.reviewed_at {
                    Some(at) => view! { "Last reviewed " <RelativeTime at/> }.into_any(),
                    None => view! { "You haven't reviewed your sessions yet." }.into_any(),
                }}
            </p>
            <ActionForm action=reviewed>
                <button type="submit" class=BUTTON_SECONDARY>"Mark as reviewed"</button>
            </ActionForm>
        </div>
        {data.review_due.then(|| view! {
            <Alert tone=Tone::Info>"It's been more than 30 days since you reviewed your sessions. Look through the list and revoke anything you don't recognise."</Alert>
        })}
        <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="session-list">
            {data.sessions.into_iter().map(|session| view! { <SessionRow session revoke/> }).collect_view()}
        </ul>
        {(others > 0).then(|| view! {
            <div class="flex flex-wrap gap-3 border-t border-slate-100 pt-4 dark:border-slate-800">
                <MassSignOut scope=MassRevocation::All label="Sign out all other sessions"
                    confirm="Every other device will be signed out." action=revoke_others needs_password factor/>
                <MassSignOut scope=MassRevocation::WithoutSecondFactor label="Sign out sessions without 2FA"
                    confirm="Devices that signed in with only a password will be signed out." action=revoke_others needs_password factor/>
            </div>
        })}
    }
}

#[component]
fn SessionRow(session: SessionInfo, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    let SessionInfo {
        id,
        device,
        kind,
        ip,
        location,
        created_at,
        last_seen_at,
        sign_in_method,
        current,
        ..
    } = session;
    let label = device.clone();
    view! {
        <li class="flex flex-wrap items-start gap-4 py-4 sm:flex-nowrap" data-testid="session-row">
            <DeviceIcon kind/>
            <div class="min-w-0 flex-1">
                <p class="flex flex-wrap items-center gap-2 font-medium text-slate-900 dark:text-white">
                    <span data-testid="session-device">{device}</span>
                    {current.then(|| view! {
                        <span data-testid="this-device" class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-200">"This device"</span>
                    })}
                </p>
                <p class="text-sm text-slate-600 dark:text-slate-300" data-testid="session-location">{location}" · "{ip}</p>
                <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                    "Last active: " <span data-testid="session-last-active"><RelativeTime at=last_seen_at/></span>
                    " · Signed in " <RelativeTime at=created_at/> " with " {sign_in_method}
                </p>
            </div>
            {(!current).then(|| view! {
                <details class="group relative shrink-0">
                    <summary class=SUMMARY aria-label=format!("Revoke {label}")>"Revoke"</summary>
                    <div class="mt-2 w-64 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                        <p class="mb-3 text-slate-700 dark:text-slate-200">"Sign out this session? That device will have to sign in again."</p>
                        <ActionForm action=revoke>
                            <input type="hidden" name="session_id" value=id.clone()/>
                            <button type="submit" class=BUTTON_DANGER disabled=move || revoke.pending().get()>"Revoke session"</button>
                        </ActionForm>
                    </div>
                </details>
            })}
        </li>
    }
}

/// A mass sign-out behind a confirmation, asking for the password when the
/// last one was entered more than 10 minutes ago.
#[component]
fn MassSignOut(
    scope: MassRevocation,
    label: &'static str,
    confirm: &'static str,
    action: ServerAction<RevokeOtherSessions>,
    needs_password: bool,
    factor: crate::two_factor::SudoFactor,
) -> impl IntoView {
    let error = action_error(action);
    let id = match scope {
        MassRevocation::All => "sign-out-all",
        MassRevocation::WithoutSecondFactor => "sign-out-single-factor",
    };
    view! {
        <details class="relative">
            <summary class=SUMMARY>{label}</summary>
            <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                <ActionForm action attr:class="space-y-3">
                    <input type="hidden" name="scope" value=scope.as_str()/>
                    <p class="text-slate-700 dark:text-slate-200">{confirm}</p>
                    {needs_password.then(|| view! { <crate::ui::SudoFields id second_factor=sudo_prompt(factor) error/> })}
                    <button type="submit" class=BUTTON_DANGER disabled=move || action.pending().get()>{label}</button>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn DeviceIcon(kind: DeviceKind) -> impl IntoView {
    let path = match kind {
        DeviceKind::Desktop => "M3 5h18v11H3zM8 20h8M12 16v4",
        DeviceKind::Mobile => {
            "M8 2h8a1 1 0 011 1v18a1 1 0 01-1 1H8a1 1 0 01-1-1V3a1 1 0 011-1zM11 18h2"
        }
        DeviceKind::Tablet => {
            "M5 2h14a1 1 0 011 1v18a1 1 0 01-1 1H5a1 1 0 01-1-1V3a1 1 0 011-1zM11 18h2"
        }
        DeviceKind::Bot => "M7 8h10v10H7zM12 4v4M9 12h.01M15 12h.01M10 15h4",
        DeviceKind::Api => "M4 5h16v14H4zM7 10l3 2-3 2M12 15h5",
        DeviceKind::Unknown => {
            "M12 21a9 9 0 100-18 9 9 0 000 18zM9.5 9a2.5 2.5 0 114 2c-.8.5-1.5 1-1.5 2M12 17h.01"
        }
    };
    view! {
        <span class="flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300" aria-hidden="true">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" class="h-5 w-5"><path d=path></path></svg>
        </span>
    }
}
