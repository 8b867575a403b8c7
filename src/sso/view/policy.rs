//! The card's "Require SSO for members" (with how many sessions it ends
//! and who keeps the break-glass sign-in) and the members' session
//! lifetimes.

use super::{Actions, SsoOverview};
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{INPUT, LABEL};
use crate::ui::{
    Alert, SubmitButton, SudoFields, Tone, action_error, field_error, form_level_error,
};
use leptos::prelude::*;

const CHECKBOX: &str = "mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500 dark:border-slate-600";

/// "Require SSO for members" and "Allow their API keys".
#[component]
pub fn Enforcement(data: StoredValue<SsoOverview>, actions: Actions) -> impl IntoView {
    let enforcement = actions.enforcement;
    let error = action_error(enforcement);
    let d = data.get_value();
    let verified = d.domains.iter().any(|domain| domain.verified_at.is_some());
    let ready = d.active.is_some() && verified;
    let consequence = if d.enforced {
        "Turning it off lets members sign in with passwords, passkeys and connected accounts again."
            .to_string()
    } else if d.sessions_to_end == 0 {
        "Turning it on signs nobody out: no member on your verified domains has a session that began without SSO.".to_string()
    } else {
        format!(
            "Turning it on signs out {} {} of {} {} that did not begin with SSO.",
            d.sessions_to_end,
            if d.sessions_to_end == 1 {
                "session"
            } else {
                "sessions"
            },
            d.members_to_sign_out,
            if d.members_to_sign_out == 1 {
                "member"
            } else {
                "members"
            },
        )
    };
    let break_glass = match (&d.break_glass, d.enforced, d.caller_can_break_glass) {
        (Some(who), true, _) => format!("Break-glass sign-in: {who} keeps a password + two-factor sign-in, in case the identity provider is down."),
        (_, false, true) => "You will keep your password + two-factor sign-in as the break-glass Owner, in case the identity provider is down.".to_string(),
        _ => "To turn this on you need a password and two-factor authentication yourself: you keep them as the break-glass sign-in.".to_string(),
    };
    let done = move || match enforcement.value().get() {
        Some(Ok(ended)) => Some(format!("Saved. {ended} sessions were signed out.")),
        _ => None,
    };
    view! {
        <ActionForm action=enforcement attr:class="space-y-3 border-t border-slate-100 pt-5 dark:border-slate-800" attr:data-testid="sso-enforcement">
            <h3 class="text-sm font-semibold text-slate-900 dark:text-white">"Require single sign-on"</h3>
            {move || done().map(|message| view! { <div data-testid="sso-enforcement-saved"><Alert tone=Tone::Success>{message}</Alert></div> })}
            {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "enforced")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {(!ready && !d.enforced).then(|| view! {
                <p class="text-sm text-slate-500 dark:text-slate-400">"Available once the connection is tested and a domain is verified."</p>
            })}
            <label class="flex items-start gap-3 text-sm text-slate-700 dark:text-slate-200">
                <input type="checkbox" name="enforced" checked=d.enforced class=CHECKBOX data-testid="sso-require"/>
                <span>
                    <span class="font-medium">"Require SSO for members on verified domains"</span>
                    <span class="block text-slate-500 dark:text-slate-400">"They can no longer sign in with a password, a passkey or a connected account."</span>
                </span>
            </label>
            <label class="flex items-start gap-3 text-sm text-slate-700 dark:text-slate-200">
                <input type="checkbox" name="allow_api_keys" checked=d.allow_api_keys class=CHECKBOX/>
                <span>
                    <span class="font-medium">"Their API keys keep working"</span>
                    <span class="block text-slate-500 dark:text-slate-400">"Untick to refuse the keys of members SSO covers while it is required."</span>
                </span>
            </label>
            <p class="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950/40 dark:text-amber-100" data-testid="sso-consequence">{consequence}</p>
            <p class="text-sm text-slate-600 dark:text-slate-300" data-testid="sso-break-glass">{break_glass}</p>
            {d.needs_sudo.then(|| view! { <SudoFields id="sso-enforcement" second_factor=sudo_prompt(d.sudo_factor) error/> })}
            <SubmitButton label="Save requirement" busy_label="Saving…" pending=enforcement.pending()/>
        </ActionForm>
    }
}

/// Shorter idle and absolute session lifetimes for the members.
#[component]
pub fn SessionLifetimes(data: StoredValue<SsoOverview>, actions: Actions) -> impl IntoView {
    let lifetimes = actions.lifetimes;
    let error = action_error(lifetimes);
    let d = data.get_value();
    let saved = move || lifetimes.value().get().is_some_and(|result| result.is_ok());
    let idle_hint = format!("Blank: the server's {} minutes.", d.server_idle_minutes);
    let absolute_hint = format!("Blank: the server's {} hours.", d.server_absolute_hours);
    view! {
        <ActionForm action=lifetimes attr:class="space-y-3 border-t border-slate-100 pt-5 dark:border-slate-800" attr:data-testid="sso-lifetimes">
            <h3 class="text-sm font-semibold text-slate-900 dark:text-white">"Session lifetime for members"</h3>
            <p class="text-sm text-slate-600 dark:text-slate-300">"Shorter than the server's, checked on every request: a session ends after this long without activity, or this long after sign-in."</p>
            {move || saved().then(|| view! { <Alert tone=Tone::Success>"Saved: members' sessions follow the new lifetimes from their next request."</Alert> })}
            {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <div class="grid gap-4 sm:grid-cols-2">
                <NumberInput name="idle_minutes" label="Idle timeout (minutes)" value=d.idle_minutes hint=idle_hint error/>
                <NumberInput name="absolute_hours" label="Maximum session (hours)" value=d.absolute_hours hint=absolute_hint error/>
            </div>
            {d.needs_sudo.then(|| view! { <SudoFields id="sso-lifetimes" second_factor=sudo_prompt(d.sudo_factor) error/> })}
            <SubmitButton label="Save lifetimes" busy_label="Saving…" pending=lifetimes.pending()/>
        </ActionForm>
    }
}

#[component]
fn NumberInput(
    name: &'static str,
    label: &'static str,
    value: Option<i64>,
    hint: String,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let id = format!("sso-{name}");
    view! {
        <div class="space-y-1.5">
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name type="number" min="1" step="1" inputmode="numeric"
                value=value.map(|v| v.to_string()) class=INPUT/>
            <p class="text-xs text-slate-500 dark:text-slate-400">{hint}</p>
            {move || field_error(&error.get(), name).map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
        </div>
    }
}
