//! Settings → Authentication → Connected accounts: each configured
//! provider with its connection (the account, when it was connected and
//! last used to sign in) and Connect / Disconnect, both in sudo mode. And
//! the sign-in page's provider buttons.

pub mod sign_in;

use super::api::{ConnectProvider, DisconnectProvider, list_connections};
use super::{Connection, ConnectionProblem, ConnectionsOverview, ProviderChoice};
use crate::error::AppError;
use crate::two_factor::SudoFactor;
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, Card, SudoFields, Tone, action_error, form_level_error};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The sentence for a round trip that came back with `?oauth_error=`,
/// naming the provider by its label; `None` without (or with an unknown) code.
fn problem_message(
    code: Option<&str>,
    provider_key: Option<&str>,
    providers: &[ProviderChoice],
) -> Option<String> {
    let problem: ConnectionProblem = code?.parse().ok()?;
    let label = providers
        .iter()
        .find(|provider| Some(provider.key.as_str()) == provider_key)
        .map_or("The provider", |provider| provider.label.as_str());
    Some(problem.message(label))
}

/// A refusal of a connect or disconnect that the sudo fields do not show.
fn provider_error(error: Option<AppError>) -> Option<String> {
    match error {
        Some(AppError::Validation { ref field, .. })
            if matches!(field.as_str(), "password" | "code") =>
        {
            None
        }
        Some(AppError::Validation { field, message }) if field == "provider" => Some(message),
        Some(AppError::NotFound) => Some("That account was already disconnected.".to_string()),
        other => form_level_error(other),
    }
}

/// The Connected accounts card.
#[component]
pub fn ConnectionsSection() -> impl IntoView {
    let connect = ServerAction::<ConnectProvider>::new();
    let disconnect = ServerAction::<DisconnectProvider>::new();
    let overview = Resource::new(move || disconnect.version().get(), |_| list_connections());
    view! {
        <Card id="connections" title="Connected accounts"
            description="Sign in with an account you already have elsewhere. Only accounts you connect here can sign in to yours, and two-factor authentication still applies.">
            <Transition fallback=|| view! { <div class="h-24 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(data) => view! { <ConnectionsBody data connect disconnect/> }.into_any(),
                        Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn ConnectionsBody(
    data: ConnectionsOverview,
    connect: ServerAction<ConnectProvider>,
    disconnect: ServerAction<DisconnectProvider>,
) -> impl IntoView {
    let query = use_query_map();
    let can_disconnect = data.can_disconnect();
    let ConnectionsOverview {
        providers,
        connections,
        has_password,
        sudo_factor,
        needs_sudo,
        ..
    } = data;
    let returned = query.with_untracked(|q| {
        let problem = problem_message(
            q.get("oauth_error").as_deref(),
            q.get("provider").as_deref(),
            &providers,
        );
        let connected = q.get("connected").and_then(|key| {
            providers
                .iter()
                .find(|provider| provider.key == key)
                .map(|provider| {
                    format!(
                        "{} is connected. You can sign in with it now.",
                        provider.label
                    )
                })
        });
        (problem, connected)
    });
    let connect_error = action_error(connect);
    let disconnect_error = action_error(disconnect);
    let list_error = move || {
        provider_error(disconnect_error.get()).or_else(|| provider_error(connect_error.get()))
    };
    let rows = providers
        .iter()
        .map(|provider| {
            let connection = connections
                .iter()
                .find(|connection| connection.provider.key == provider.key)
                .cloned();
            view! {
                <ProviderRow provider=provider.clone() connection connect disconnect
                    can_disconnect needs_sudo sudo_factor/>
            }
        })
        .collect_view();
    // Connections to providers no longer configured stay listed so they can go.
    let orphans = connections
        .into_iter()
        .filter(|connection| !providers.iter().any(|p| p.key == connection.provider.key))
        .map(|connection| {
            view! {
                <ProviderRow provider=connection.provider.clone() connection=Some(connection) connect disconnect
                    can_disconnect needs_sudo sudo_factor/>
            }
        })
        .collect_view();
    let empty = providers.is_empty().then(|| view! {
        <div class="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center dark:border-slate-700" data-testid="no-providers">
            <p class="font-medium text-slate-900 dark:text-white">"No sign-in providers on this server"</p>
            <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">"Whoever runs StatusStack here can add GitHub, Google or an OpenID Connect provider in its settings."</p>
        </div>
    });
    view! {
        <div class="space-y-4">
            {returned.0.map(|message| view! { <div data-testid="connection-problem"><Alert tone=Tone::Error>{message}</Alert></div> })}
            {returned.1.map(|message| view! { <div data-testid="connection-added"><Alert tone=Tone::Success>{message}</Alert></div> })}
            {(!has_password).then(|| view! {
                <Alert tone=Tone::Info>
                    "Your account has no password yet, so keep at least one way to sign in. "
                    <a href="#sign-in-password" class="font-medium underline">"Set a password"</a>
                    " to sign in without a provider."
                </Alert>
            })}
            {move || list_error().map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {empty}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="connection-list">
                {rows}
                {orphans}
            </ul>
        </div>
    }
}

/// One provider: connected (the account, dates, Disconnect) or not (Connect).
#[component]
fn ProviderRow(
    provider: ProviderChoice,
    connection: Option<Connection>,
    connect: ServerAction<ConnectProvider>,
    disconnect: ServerAction<DisconnectProvider>,
    can_disconnect: bool,
    needs_sudo: bool,
    sudo_factor: SudoFactor,
) -> impl IntoView {
    let connect_error = action_error(connect);
    let disconnect_error = action_error(disconnect);
    let label = provider.label.clone();
    let key = provider.key.clone();
    let status = match &connection {
        Some(connection) => {
            let used = match connection.last_used_at {
                Some(at) => view! { "Last signed in " <RelativeTime at/> }.into_any(),
                None => view! { "Not used to sign in yet" }.into_any(),
            };
            view! {
                <p class="text-sm text-slate-700 dark:text-slate-200" data-testid="connected-account">{connection.account.clone()}</p>
                <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                    "Connected " <RelativeTime at=connection.connected_at/> " · " {used}
                </p>
            }
            .into_any()
        }
        None => view! { <p class="text-sm text-slate-500 dark:text-slate-400">"Not connected"</p> }
            .into_any(),
    };
    let action = if connection.is_some() {
        let explanation = if can_disconnect {
            format!("Disconnect {label}? It stops signing in to your account at once.")
        } else {
            format!(
                "{label} is your only way to sign in. Set a password or add a passkey before you disconnect it."
            )
        };
        view! {
            <details class="relative">
                <summary class=SUMMARY aria-label=format!("Disconnect {label}")>"Disconnect"</summary>
                <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                    <p class="mb-3 text-slate-700 dark:text-slate-200">{explanation}</p>
                    {can_disconnect.then(|| view! {
                        <ActionForm action=disconnect attr:class="space-y-3">
                            <input type="hidden" name="provider" value=key.clone()/>
                            {needs_sudo.then(|| view! { <SudoFields id="disconnect-provider" second_factor=sudo_prompt(sudo_factor) error=disconnect_error/> })}
                            <button type="submit" class=BUTTON_DANGER disabled=move || disconnect.pending().get()>{format!("Disconnect {label}")}</button>
                        </ActionForm>
                    })}
                </div>
            </details>
        }
        .into_any()
    } else {
        view! {
            <details class="relative">
                <summary class=SUMMARY aria-label=format!("Connect {label}")>"Connect"</summary>
                <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                    <p class="mb-3 text-slate-700 dark:text-slate-200">{format!("You go to {label} to choose the account, then come back here.")}</p>
                    <ActionForm action=connect attr:class="space-y-3">
                        <input type="hidden" name="provider" value=key.clone()/>
                        {needs_sudo.then(|| view! { <SudoFields id="connect-provider" second_factor=sudo_prompt(sudo_factor) error=connect_error/> })}
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || connect.pending().get()
                            data-testid=format!("connect-{key}")>{format!("Continue to {label}")}</button>
                    </ActionForm>
                </div>
            </details>
        }
        .into_any()
    };
    view! {
        <li class="flex flex-wrap items-start gap-x-4 gap-y-3 py-4 sm:flex-nowrap" data-testid=format!("provider-{}", provider.key)>
            <div class="flex min-w-0 basis-full items-start gap-3 sm:basis-auto sm:flex-1">
                <ProviderMark key=provider.key.clone()/>
                <div class="min-w-0">
                    <p class="font-medium text-slate-900 dark:text-white">{provider.label.clone()}</p>
                    {status}
                </div>
            </div>
            <div class="flex shrink-0 gap-2">{action}</div>
        </li>
    }
}

/// The provider's mark: GitHub's and Google's, a key for the others.
#[component]
pub fn ProviderMark(key: String) -> impl IntoView {
    match key.as_str() {
        "github" => view! {
            <svg viewBox="0 0 16 16" class="h-5 w-5 shrink-0 fill-current text-slate-900 dark:text-white" aria-hidden="true">
                <path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"></path>
            </svg>
        }
        .into_any(),
        "google" => view! {
            <svg viewBox="0 0 24 24" class="h-5 w-5 shrink-0" aria-hidden="true">
                <path fill="#4285F4" d="M22.56 12.25c0-.78-.07-1.53-.2-2.25H12v4.26h5.92a5.06 5.06 0 01-2.2 3.32v2.77h3.57c2.08-1.92 3.27-4.74 3.27-8.1z"></path>
                <path fill="#34A853" d="M12 23c2.97 0 5.46-.98 7.28-2.66l-3.57-2.77c-.98.66-2.23 1.06-3.71 1.06-2.86 0-5.29-1.93-6.16-4.53H2.18v2.84A11 11 0 0012 23z"></path>
                <path fill="#FBBC05" d="M5.84 14.1A6.6 6.6 0 015.5 12c0-.73.13-1.44.34-2.1V7.06H2.18A11 11 0 001 12c0 1.78.43 3.46 1.18 4.94l3.66-2.84z"></path>
                <path fill="#EA4335" d="M12 5.38c1.62 0 3.06.56 4.21 1.64l3.15-3.15C17.45 2.09 14.97 1 12 1A11 11 0 002.18 7.06l3.66 2.84C6.71 7.31 9.14 5.38 12 5.38z"></path>
            </svg>
        }
        .into_any(),
        _ => view! {
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" class="h-5 w-5 shrink-0 text-indigo-600 dark:text-indigo-400" aria-hidden="true">
                <path d="M15.75 5.25a3 3 0 013 3m3 0a6 6 0 01-7.03 5.91c-.56-.1-1.16.03-1.56.43L10.5 17.25H8.25v2.25H6v2.25H2.25v-2.82c0-.6.24-1.17.66-1.59l6.5-6.5c.4-.4.53-1 .43-1.56A6 6 0 1121.75 8.25z"></path>
            </svg>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::field_error;

    #[test]
    fn a_returned_problem_names_the_provider_and_unknown_codes_show_nothing() {
        let providers = [ProviderChoice {
            key: "github".into(),
            label: "GitHub".into(),
        }];
        let message = problem_message(Some("known_email"), Some("github"), &providers).unwrap();
        assert!(message.contains("connect GitHub"), "{message}");
        let unnamed = problem_message(Some("denied"), Some("evil"), &providers).unwrap();
        assert!(unnamed.starts_with("The provider"), "{unnamed}");
        assert!(problem_message(Some("<b>hi</b>"), Some("github"), &providers).is_none());
        assert!(problem_message(None, Some("github"), &providers).is_none());
    }

    #[test]
    fn sudo_field_errors_stay_in_their_fields() {
        let password = AppError::validation("password", "Your password is incorrect.");
        assert_eq!(provider_error(Some(password.clone())), None);
        assert!(field_error(&Some(password), "password").is_some());
        let last = AppError::validation("provider", "GitHub is your only way to sign in.");
        assert_eq!(
            provider_error(Some(last)).as_deref(),
            Some("GitHub is your only way to sign in.")
        );
    }
}
