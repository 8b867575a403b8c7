//! The Authentication page's "Single sign-on" card. For Owners: the
//! identity provider's settings and discovery, "Test connection", the
//! domains with their TXT records, "Require SSO" and the members' session
//! lifetimes; other members see what their SSO means for them (`member`).
//! The SSO sign-in page is in `sign_in`.

mod domains;
mod member;
mod policy;
pub mod sign_in;

use super::api::{
    AddSsoDomain, RemoveSso, RemoveSsoDomain, SaveSsoSettings, SetSsoEnforcement,
    SetSsoSessionLifetimes, TestSsoConnection, VerifySsoDomain, get_sso_overview,
};
use super::{DiscoverySummary, SsoOverview, SsoProblem};
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{BUTTON_SECONDARY, INPUT, LABEL};
use crate::ui::time::RelativeTime;
use crate::ui::{
    Alert, Card, CopyButton, SubmitButton, SudoFields, Tone, action_error, field_error,
    form_level_error,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

/// The actions every part of the card refreshes it after.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveSsoSettings>,
    add_domain: ServerAction<AddSsoDomain>,
    verify_domain: ServerAction<VerifySsoDomain>,
    remove_domain: ServerAction<RemoveSsoDomain>,
    enforcement: ServerAction<SetSsoEnforcement>,
    lifetimes: ServerAction<SetSsoSessionLifetimes>,
    remove: ServerAction<RemoveSso>,
}

/// The "Single sign-on" card: the whole of it for an organization's
/// Owners; for its other members, what their SSO means for them.
#[component]
pub fn SsoSection() -> impl IntoView {
    let actions = Actions {
        save: ServerAction::new(),
        add_domain: ServerAction::new(),
        verify_domain: ServerAction::new(),
        remove_domain: ServerAction::new(),
        enforcement: ServerAction::new(),
        lifetimes: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let overview = Resource::new(
        move || {
            (
                actions.save.version().get(),
                actions.add_domain.version().get(),
                actions.verify_domain.version().get(),
                actions.remove_domain.version().get(),
                actions.enforcement.version().get(),
                actions.lifetimes.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| get_sso_overview(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(Some(data)) => view! {
                        <Card id="single-sign-on" title="Single sign-on"
                            description="Members sign in through your company's identity provider (OpenID Connect: Okta, Entra ID, Google Workspace, Keycloak…). Only Owners change this.">
                            <SsoBody data actions/>
                        </Card>
                    }.into_any(),
                    Ok(None) => view! { <member::MemberSsoCard/> }.into_any(),
                    Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SsoBody(data: SsoOverview, actions: Actions) -> impl IntoView {
    let query = use_query_map();
    let tested = query.with_untracked(|q| q.get("sso_test")).map(|outcome| {
        if outcome == "passed" {
            (Tone::Success, "The connection works: members can now sign in with single sign-on on your verified domains.".to_string())
        } else {
            let message = outcome
                .parse::<SsoProblem>()
                .map_or("The test did not finish. Please try again.", SsoProblem::message);
            (Tone::Error, format!("Test connection failed: {message}"))
        }
    });
    let status = match (&data.active, &data.pending) {
        (Some(_), None) => (
            "Active",
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200",
        ),
        (_, Some(_)) => (
            "Waiting for a test",
            "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200",
        ),
        (None, None) => (
            "Not set up",
            "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
        ),
    };
    let data = StoredValue::new(data);
    view! {
        <div class="space-y-6" data-testid="sso-card">
            {tested.map(|(tone, message)| view! { <div data-testid="sso-test-outcome"><Alert tone>{message}</Alert></div> })}
            <div class="flex flex-wrap items-center gap-3">
                <span class=format!("rounded-full px-2.5 py-0.5 text-xs font-semibold {}", status.1) data-testid="sso-status">{status.0}</span>
                {data.with_value(|d| d.active.clone()).map(|active| view! {
                    <span class="text-sm text-slate-600 dark:text-slate-300">
                        {format!("{} · ", active.issuer)} "active since " <RelativeTime at=active.since/>
                    </span>
                })}
            </div>
            <RedirectUri uri=data.with_value(|d| d.redirect_uri.clone())/>
            <SettingsForm data actions/>
            {data.with_value(|d| d.discovery.clone()).map(|discovery| view! { <Discovery discovery/> })}
            {data.with_value(|d| d.active.is_some() || d.pending.is_some()).then(|| view! { <TestConnection data/> })}
            <domains::Domains data actions/>
            <policy::Enforcement data actions/>
            <policy::SessionLifetimes data actions/>
            {data.with_value(|d| d.active.is_some() || d.pending.is_some()).then(|| view! { <RemoveSsoForm data actions/> })}
        </div>
    }
}

/// The redirect URI to register at the identity provider, with Copy.
#[component]
fn RedirectUri(uri: String) -> impl IntoView {
    view! {
        <div class="space-y-1.5">
            <label for="sso-redirect-uri" class=LABEL>"Redirect URI to register at your identity provider"</label>
            <div class="flex gap-2">
                <input id="sso-redirect-uri" readonly value=uri.clone() class=format!("{INPUT} font-mono text-sm")/>
                <CopyButton text=uri select_id="sso-redirect-uri"/>
            </div>
        </div>
    }
}

/// Display name, issuer, client id and secret, saved in sudo mode.
#[component]
fn SettingsForm(data: StoredValue<SsoOverview>, actions: Actions) -> impl IntoView {
    let save = actions.save;
    let error = action_error(save);
    let (display_name, issuer, client_id, has_secret) = data.with_value(|d| {
        let settings = d.pending.as_ref().or(d.active.as_ref());
        (
            d.display_name.clone().unwrap_or_else(|| d.org_name.clone()),
            settings.map(|s| s.issuer.clone()).unwrap_or_default(),
            settings.map(|s| s.client_id.clone()).unwrap_or_default(),
            settings.is_some(),
        )
    });
    let (needs_sudo, sudo_factor) = data.with_value(|d| (d.needs_sudo, d.sudo_factor));
    let secret_hint = if has_secret {
        "Saved and sealed; it is never shown again. Leave blank to keep it, or enter a new one to replace it."
    } else {
        "Sealed at rest and never shown again."
    };
    let saved = move || save.value().get().is_some_and(|result| result.is_ok());
    view! {
        <ActionForm action=save attr:class="space-y-4" attr:data-testid="sso-settings-form">
            <h3 class="text-sm font-semibold text-slate-900 dark:text-white">"Identity provider"</h3>
            {move || saved().then(|| view! { <Alert tone=Tone::Success>"Saved. Run “Test connection” to turn these settings on."</Alert> })}
            {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <div class="grid gap-4 sm:grid-cols-2">
                <TextInput name="display_name" label="Name on the sign-in button" value=display_name error
                    hint="“Continue with … SSO”, e.g. Example Corp."/>
                <TextInput name="issuer" label="Issuer URL" value=issuer error
                    hint="We fetch its /.well-known/openid-configuration."/>
                <TextInput name="client_id" label="Client id" value=client_id error hint=""/>
                <div class="space-y-1.5">
                    <label for="sso-client_secret" class=LABEL>"Client secret"</label>
                    <input id="sso-client_secret" name="client_secret" type="password" autocomplete="off" maxlength="512"
                        placeholder=has_secret.then_some("•••••••• (saved)") class=INPUT/>
                    <p class="text-xs text-slate-500 dark:text-slate-400">{secret_hint}</p>
                    {move || field_error(&error.get(), "client_secret").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
            </div>
            {needs_sudo.then(|| view! { <SudoFields id="sso-settings" second_factor=sudo_prompt(sudo_factor) error/> })}
            <SubmitButton label="Save settings" busy_label="Checking the issuer…" pending=save.pending()/>
        </ActionForm>
    }
}

/// A text input inside the card's forms, with its error.
#[component]
fn TextInput(
    name: &'static str,
    label: &'static str,
    value: String,
    hint: &'static str,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let id = format!("sso-{name}");
    view! {
        <div class="space-y-1.5">
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name value=value required maxlength="512" class=INPUT
                aria-invalid=move || field_error(&error.get(), name).map(|_| "true")/>
            {(!hint.is_empty()).then(|| view! { <p class="text-xs text-slate-500 dark:text-slate-400">{hint}</p> })}
            {move || field_error(&error.get(), name).map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
        </div>
    }
}

/// What the identity provider's discovery document says.
#[component]
fn Discovery(discovery: DiscoverySummary) -> impl IntoView {
    let row = |label: &'static str, value: String| {
        view! {
            <div class="grid gap-1 py-2 sm:grid-cols-3">
                <dt class="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
                <dd class="break-all font-mono text-xs text-slate-800 sm:col-span-2 dark:text-slate-200">{value}</dd>
            </div>
        }
    };
    view! {
        <details class="rounded-lg border border-slate-200 px-4 py-2 dark:border-slate-700" data-testid="sso-discovery">
            <summary class="cursor-pointer py-1 text-sm font-medium text-slate-800 dark:text-slate-100">"Discovery document"</summary>
            <dl class="divide-y divide-slate-100 dark:divide-slate-800">
                {row("Issuer", discovery.issuer)}
                {row("Authorization", discovery.authorization_endpoint)}
                {row("Token", discovery.token_endpoint)}
                {row("User info", discovery.userinfo_endpoint.unwrap_or_else(|| "—".into()))}
                {row("Signing keys", discovery.jwks_uri)}
                {row("Algorithms", discovery.signing_algorithms.join(", "))}
            </dl>
        </details>
    }
}

/// "Test connection": a real sign-in at the identity provider.
#[component]
fn TestConnection(data: StoredValue<SsoOverview>) -> impl IntoView {
    let (pending, tested) = data.with_value(|d| (d.pending.is_some(), d.last_tested_at));
    let explanation = if pending {
        "You sign in at your identity provider with these settings. When it works they become active; until then members keep the current ones."
    } else {
        "Sign in at your identity provider again to check the active settings still work."
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-4 py-3 dark:bg-slate-800/60">
            <div class="text-sm text-slate-600 dark:text-slate-300">
                <p>{explanation}</p>
                {tested.map(|at| view! { <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">"Last test passed " <RelativeTime at/></p> })}
            </div>
            // A plain form, not an ActionForm: the browser leaves for the
            // identity provider.
            <form method="post" action=TestSsoConnection::url()>
                <button type="submit" class=BUTTON_SECONDARY data-testid="sso-test">"Test connection"</button>
            </form>
        </div>
    }
}

/// "Remove single sign-on", behind a confirmation in sudo mode.
#[component]
fn RemoveSsoForm(data: StoredValue<SsoOverview>, actions: Actions) -> impl IntoView {
    let remove = actions.remove;
    let error = action_error(remove);
    let (needs_sudo, sudo_factor) = data.with_value(|d| (d.needs_sudo, d.sudo_factor));
    view! {
        <details class="border-t border-slate-100 pt-5 dark:border-slate-800" data-testid="sso-remove">
            <summary class="cursor-pointer text-sm font-medium text-red-700 dark:text-red-400">"Remove single sign-on"</summary>
            <ActionForm action=remove attr:class="mt-3 space-y-3">
                <p class="text-sm text-slate-600 dark:text-slate-300">
                    "Nobody signs in through your identity provider any more, and nobody is required to. Members keep their accounts and sessions; those made through SSO have no password until they use “Forgot your password?”. Your domains stay verified."
                </p>
                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                {needs_sudo.then(|| view! { <SudoFields id="sso-remove" second_factor=sudo_prompt(sudo_factor) error/> })}
                <button type="submit" class=crate::ui::style::BUTTON_DANGER disabled=move || remove.pending().get()>"Remove single sign-on"</button>
            </ActionForm>
        </details>
    }
}
