//! The organization's 2FA and passkey policy on screen: the Owner's settings
//! card, the grace-period banners with their countdowns, and the banner of
//! an Owner or Admin held at the page that adds a passkey.

use crate::team::api::{UpdateOrgPolicy, UpdatePasskeyPolicy};
use crate::team::{
    MAX_GRACE_DAYS, ORG_NAME_MAX_CHARS, Organization, PASSKEY_SETUP_PATH, countdown_text,
};
use crate::time::{now_ms, utc_datetime};
use crate::two_factor::SudoFactor;
use crate::two_factor::api::sudo_prompt;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::style::{INPUT, LABEL};
use crate::ui::time::countdown;
use crate::ui::{Alert, SubmitButton, SudoFields, Tone, field_error, form_level_error};
use leptos::prelude::*;

/// A policy switch: a checkbox with its title and explanation, highlighted
/// while ticked.
const TOGGLE: &str = "flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50 dark:border-slate-700 dark:has-[:checked]:bg-indigo-950/40";

/// Production access, "require 2FA for all" and the grace period: editable
/// by Owners, shown to everyone else.
#[component]
pub fn PolicyCard(
    organization: Organization,
    editable: bool,
    policy: ServerAction<UpdateOrgPolicy>,
) -> impl IntoView {
    let error = last_error(policy);
    let saved = last_succeeded(policy);
    let since = organization.policy_since.map(utc_datetime);
    let summary = match (organization.requires_two_factor_for_all(), since) {
        (true, Some(since)) => match organization.grace_days {
            0 => format!(
                "Every member needs two-factor authentication, with no grace period, since {since}."
            ),
            1 => format!(
                "Every member needs two-factor authentication, with 1 day to set it up from {since} (or from joining)."
            ),
            days => format!(
                "Every member needs two-factor authentication, with {days} days to set it up from {since} (or from joining)."
            ),
        },
        _ => {
            "Owners and Admins need two-factor authentication; for everyone else it is recommended."
                .to_string()
        }
    };
    if !editable {
        return view! {
            <dl class="grid gap-3 text-sm sm:grid-cols-3">
                <div><dt class="text-slate-500 dark:text-slate-400">"Production access"</dt><dd class="font-medium">{if organization.production { "On" } else { "Off" }}</dd></div>
                <div><dt class="text-slate-500 dark:text-slate-400">"Require 2FA for all members"</dt><dd class="font-medium">{if organization.require_two_factor { "On" } else { "Off" }}</dd></div>
                <div><dt class="text-slate-500 dark:text-slate-400">"Grace period"</dt><dd class="font-medium">{match organization.grace_days { 0 => "None".to_string(), 1 => "1 day".to_string(), n => format!("{n} days") }}</dd></div>
            </dl>
            <p class="mt-3 text-sm text-slate-500 dark:text-slate-400">{summary}" Only Owners change the policy."</p>
        }
        .into_any();
    }
    view! {
        <ActionForm action=policy attr:class="space-y-4" attr:data-testid="policy-form">
            {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "policy"))
                .map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {move || saved.get().then(|| view! { <Alert tone=Tone::Success>"Policy saved."</Alert> })}
            <div class="max-w-md space-y-1.5">
                <label for="policy-name" class=LABEL>"Organization name"</label>
                <input id="policy-name" name="name" type="text" required maxlength=ORG_NAME_MAX_CHARS.to_string()
                    value=organization.name.clone() class=INPUT/>
                {move || field_error(&error.get(), "name").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            <div class="grid gap-2 sm:grid-cols-2">
                <label class=TOGGLE>
                    <input type="checkbox" name="production" checked=organization.production class="mt-0.5 accent-indigo-600" data-testid="production-toggle"/>
                    <span>
                        <span class="block font-medium text-slate-900 dark:text-white">"Production access"</span>
                        <span class="block text-slate-600 dark:text-slate-300">"This organization runs production status pages: every member needs 2FA."</span>
                    </span>
                </label>
                <label class=TOGGLE>
                    <input type="checkbox" name="require_two_factor" checked=organization.require_two_factor class="mt-0.5 accent-indigo-600"/>
                    <span>
                        <span class="block font-medium text-slate-900 dark:text-white">"Require 2FA for all members"</span>
                        <span class="block text-slate-600 dark:text-slate-300">"The same rule, whether or not you run production."</span>
                    </span>
                </label>
            </div>
            <div class="max-w-xs space-y-1.5">
                <label for="policy-grace" class=LABEL>"Grace period"</label>
                <select id="policy-grace" name="grace_days" class=INPUT>
                    {(0..=MAX_GRACE_DAYS).map(|days| view! {
                        <option value=days.to_string() selected=days == organization.grace_days>
                            {match days { 0 => "None: at the next request".to_string(), 1 => "1 day".to_string(), n => format!("{n} days") }}
                        </option>
                    }).collect_view()}
                </select>
                <p class="text-xs text-slate-500 dark:text-slate-400">"Members without 2FA see a countdown, then can do nothing but set it up."</p>
                {move || field_error(&error.get(), "grace_days").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            <p class="text-sm text-slate-500 dark:text-slate-400">{summary}</p>
            <SubmitButton label="Save policy" busy_label="Saving…" pending=policy.pending()/>
        </ActionForm>
    }
    .into_any()
}

/// The banner on every settings page while a member's grace period runs,
/// counting down to the moment only the 2FA set-up is left.
#[component]
pub fn GraceBanner(organization: String, deadline: i64) -> impl IntoView {
    view! {
        <DeadlineBanner label="Two-factor authentication required" testid="grace-banner"
            countdown_testid="grace-countdown" organization deadline
            requires=" requires two-factor authentication. Set it up within "
            href="/settings/security#two-factor" action="Set up now"/>
    }
}

/// A requirement's countdown banner: who requires what, the time left, and
/// the link to comply. Not a live region: the countdown would be read out
/// on every tick.
#[component]
fn DeadlineBanner(
    label: &'static str,
    testid: &'static str,
    countdown_testid: &'static str,
    organization: String,
    deadline: i64,
    requires: &'static str,
    href: &'static str,
    action: &'static str,
) -> impl IntoView {
    let left = countdown((deadline - now_ms()) / 1000);
    view! {
        <section aria-label=label data-testid=testid class="border-b border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/60 dark:text-amber-100">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-2.5 text-sm sm:px-6">
                <p>
                    <span class="font-semibold">{organization}</span>
                    {requires}
                    <span class="font-mono font-semibold tabular-nums" data-testid=countdown_testid>{move || countdown_text(left.get() * 1000)}</span>
                    "."
                </p>
                <a href=href class="rounded-lg bg-amber-700 px-3 py-1.5 font-semibold text-white hover:bg-amber-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-700">{action}</a>
            </div>
        </section>
    }
}

/// "1 day", "3 days", "no grace period".
fn grace_text(days: i64) -> String {
    match days {
        0 => "no grace period".to_string(),
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    }
}

/// "Require a passkey for Owners and Admins": a switch for Owners, behind
/// sudo mode (`factor` is the Owner's second factor); shown to everyone else.
#[component]
pub fn PasskeyPolicy(
    organization: Organization,
    editable: bool,
    action: ServerAction<UpdatePasskeyPolicy>,
    factor: SudoFactor,
) -> impl IntoView {
    let error = last_error(action);
    let saved = last_succeeded(action);
    let summary = match (organization.require_passkey, organization.passkey_policy_since) {
        (true, Some(since)) => format!(
            "Owners and Admins need a passkey since {}, with {} to add one (from then, or from joining); until they do, they can only add one.",
            utc_datetime(since),
            grace_text(organization.grace_days)
        ),
        _ => "Passkeys are optional for everyone. Requiring one for Owners and Admins protects the accounts that can do the most from phishing.".to_string(),
    };
    if !editable {
        return view! {
            <div class="mt-5 border-t border-slate-100 pt-4 dark:border-slate-800" data-testid="passkey-policy">
                <dl class="text-sm">
                    <dt class="text-slate-500 dark:text-slate-400">"Require a passkey for Owners and Admins"</dt>
                    <dd class="font-medium">{if organization.require_passkey { "On" } else { "Off" }}</dd>
                </dl>
                <p class="mt-3 text-sm text-slate-500 dark:text-slate-400">{summary}</p>
            </div>
        }
        .into_any();
    }
    view! {
        <ActionForm action attr:class="mt-5 space-y-4 border-t border-slate-100 pt-5 dark:border-slate-800" attr:data-testid="passkey-policy-form">
            {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "policy"))
                .map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {move || saved.get().then(|| view! { <Alert tone=Tone::Success>"Passkey policy saved."</Alert> })}
            <label class=TOGGLE>
                <input type="checkbox" name="require_passkey" checked=organization.require_passkey class="mt-0.5 accent-indigo-600" data-testid="passkey-policy-toggle"/>
                <span>
                    <span class="block font-medium text-slate-900 dark:text-white">"Require a passkey for Owners and Admins"</span>
                    <span class="block text-slate-600 dark:text-slate-300">"A phishing-resistant way to sign in, for the accounts that can do the most. Members and Viewers are not affected; Owners and Admins get the days set above to add one."</span>
                </span>
            </label>
            <p class="text-sm text-slate-500 dark:text-slate-400">{summary}</p>
            <div class="max-w-md">
                <SudoFields id="passkey-policy" second_factor=sudo_prompt(factor) error/>
            </div>
            <SubmitButton label="Save passkey policy" busy_label="Saving…" pending=action.pending()/>
        </ActionForm>
    }
    .into_any()
}

/// The banner on every settings page while an Owner's or Admin's grace
/// period to add a passkey runs, counting down.
#[component]
pub fn PasskeyGraceBanner(organization: String, deadline: i64) -> impl IntoView {
    view! {
        <DeadlineBanner label="Passkey required" testid="passkey-grace-banner"
            countdown_testid="passkey-grace-countdown" organization deadline
            requires=" requires a passkey for Owners and Admins. Add one within "
            href=PASSKEY_SETUP_PATH action="Add a passkey"/>
    }
}

/// The banner of an Owner or Admin held at the passkey gate: why, and that
/// adding a passkey on this page is all that is left to do.
#[component]
pub fn PasskeyRequiredBanner(reason: String) -> impl IntoView {
    view! {
        <section aria-label="Passkey required" data-testid="passkey-required" class="border-b border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/60 dark:text-amber-100">
            <p class="mx-auto max-w-6xl px-4 py-2.5 text-sm sm:px-6">
                <span class="font-semibold">{reason}</span>
                " Until you do, this is the only page you can use."
            </p>
        </section>
    }
}
