//! Settings layout (header, sidebar) and the Security page.

use crate::account::SignedInUser;
use crate::account::api::{SignOut, get_current_user};
use crate::account::view::VerifyEmailBanner;
use crate::account::view::overview::AccountOverview;
use crate::account::view::password::{PasswordCard, PasswordSignInCard};
use crate::error::AppError;
use crate::ids::encode_query_component;
use crate::login_history::view::LoginHistory;
use crate::passkeys::view::PasskeysSection;
use crate::sessions::api::{RevokeOtherSessions, RevokeSession};
use crate::sessions::view::ActiveSessions;
use crate::team::api::{get_passkey_requirement, get_two_factor_requirement};
use crate::team::view::policy::{GraceBanner, PasskeyGraceBanner, PasskeyRequiredBanner};
use crate::team::{PASSKEY_SETUP_PATH, PasskeyRequirement, TwoFactorRequirement};
use crate::two_factor::view::{TwoFactorActions, TwoFactorSection};
use crate::ui::{Alert, Card, Logo, PageHeading, Tone};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

const NAV: [(&str, &str, &str); 4] = [
    (
        "/settings/security",
        "Security",
        "M12 3l7 3v6c0 4.5-3 7.5-7 9-4-1.5-7-4.5-7-9V6l7-3z",
    ),
    (
        "/settings/api-keys",
        "API Keys",
        "M14.5 4a5.5 5.5 0 11-4.9 8H8v2H6v2H3v-3.5l5.6-5.6A5.5 5.5 0 0114.5 4zm1.5 4h.01",
    ),
    (
        "/settings/authentication",
        "Authentication",
        "M8 11V8a4 4 0 118 0v3M6 11h12v9H6z",
    ),
    (
        "/settings/team",
        "Team",
        "M9 11a3 3 0 100-6 3 3 0 000 6zm8 0a2.5 2.5 0 100-5M3 20c0-3 3-5 6-5s6 2 6 5m2-5c2.5 0 4 1.5 4 4",
    ),
];

/// The frame of every settings page: top bar with the account menu, the
/// section navigation, and the page. Signed-out visitors are sent to sign in.
#[component]
pub fn SettingsLayout() -> impl IntoView {
    let location = use_location();
    // Asked again on every navigation, so a session revoked elsewhere is sent
    // to the sign-in page on its very next click, not only on a reload.
    let user = Resource::new(move || location.pathname.get(), |_| get_current_user());
    provide_context(SignedInUser(user));
    let requirement = Resource::new(
        move || location.pathname.get(),
        |_| get_two_factor_requirement(),
    );
    let passkey_requirement = Resource::new(
        move || location.pathname.get(),
        |_| get_passkey_requirement(),
    );
    view! {
        <div class="min-h-screen">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match requirement.await {
                        Ok(TwoFactorRequirement::Grace { organization, deadline }) => {
                            view! { <GraceBanner organization deadline/> }.into_any()
                        }
                        Ok(TwoFactorRequirement::Enforced { .. }) => {
                            view! { <Redirect path=crate::team::TWO_FACTOR_SETUP_PATH/> }.into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match passkey_requirement.await {
                        Ok(PasskeyRequirement::Grace { organization, deadline }) => {
                            view! { <PasskeyGraceBanner organization deadline/> }.into_any()
                        }
                        Ok(PasskeyRequirement::Enforced { reason, .. }) => {
                            let elsewhere = location.pathname.get_untracked() != PASSKEY_SETUP_PATH;
                            view! {
                                <PasskeyRequiredBanner reason/>
                                {elsewhere.then(|| view! { <Redirect path=PASSKEY_SETUP_PATH/> })}
                            }
                            .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
            <header class="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
                <div class="mx-auto flex h-16 max-w-6xl items-center justify-between gap-4 px-4 sm:px-6">
                    <a href="/settings/security" class="text-lg"><Logo/></a>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match user.await {
                                Ok(Some(user)) => view! {
                                    <div class="flex items-center gap-3">
                                        <div class="hidden text-right sm:block">
                                            <p class="text-sm font-medium text-slate-900 dark:text-white" data-testid="user-name">{user.name.clone()}</p>
                                            <p class="text-xs text-slate-500 dark:text-slate-400">{user.email.clone()}</p>
                                        </div>
                                        <span aria-hidden="true" class="flex h-9 w-9 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700 dark:bg-indigo-900/60 dark:text-indigo-200">
                                            {initials(&user.name)}
                                        </span>
                                        // A plain form, not an ActionForm: signing out loads /login
                                        // afresh, so nothing of the account stays in the page's
                                        // memory or on screen while the sign-in page's own Wasm
                                        // file (a lazy route) would be on its way.
                                        <form method="post" action=SignOut::url()>
                                            <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800">
                                                "Sign out"
                                            </button>
                                        </form>
                                    </div>
                                }.into_any(),
                                Ok(None) | Err(AppError::Unauthenticated) => {
                                    let next = location.pathname.get_untracked();
                                    view! { <Redirect path=format!("/login?next={}", encode_query_component(&next))/> }.into_any()
                                }
                                Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
            </header>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) if !user.email_verified => {
                            view! { <VerifyEmailBanner email=user.email/> }.into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
            <div class="mx-auto flex max-w-6xl flex-col gap-6 px-4 py-6 sm:px-6 md:flex-row md:gap-10 md:py-10">
                <nav aria-label="Settings" class="md:w-56 md:shrink-0">
                    <p class="mb-3 hidden px-3 text-xs font-semibold uppercase tracking-wider text-slate-500 md:block dark:text-slate-400">"Settings"</p>
                    <ul class="-mx-1 flex gap-1 overflow-x-auto pb-1 md:mx-0 md:flex-col md:overflow-visible">
                        {NAV.into_iter().map(|(href, label, icon)| view! {
                            <li class="shrink-0">
                                <A href=href attr:class="group flex items-center gap-2.5 rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-700 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white dark:aria-[current=page]:bg-indigo-950/60 dark:aria-[current=page]:text-indigo-300">
                                    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" class="h-5 w-5 opacity-80" aria-hidden="true"><path d=icon></path></svg>
                                    {label}
                                </A>
                            </li>
                        }).collect_view()}
                    </ul>
                </nav>
                <main class="min-w-0 flex-1">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// `/settings/security`: the account's security overview, the sections later
/// issues fill in, and the change-password form.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let revoke_others = ServerAction::<RevokeOtherSessions>::new();
    let two_factor = TwoFactorActions::new();
    let refresh = Signal::derive(move || {
        revoke.version().get() + revoke_others.version().get() + two_factor.version()
    });
    view! {
        <PageHeading title="Security" description="Protect your account: password, two-factor authentication, sessions and sign-in activity."/>
        <crate::passkeys::view::offer::PasskeyOfferBanner/>
        <div class="space-y-6">
            <crate::checkup::view::SecurityCheckup/>
            <AccountOverview refresh/>
            <Card id="two-factor" title="Two-Factor Authentication"
                description="Add a second step at sign-in with an authenticator app (recommended), SMS or your passkeys, with backup codes for recovery.">
                <TwoFactorSection actions=two_factor/>
            </Card>
            <Card id="sessions" title="Active Sessions"
                description="Every device signed in to your account. Revoke any you don't recognise.">
                <ActiveSessions revoke revoke_others/>
            </Card>
            <Card id="login-history" title="Login History"
                description="Successful and failed sign-ins, password changes, 2FA events, API keys and OAuth connections.">
                <LoginHistory/>
            </Card>
            <Card id="email" title="Email and notifications"
                description="Where security notices go. Changing the address needs a confirmation from the new one.">
                <crate::recovery::view::EmailAndNotices/>
            </Card>
            <PasswordCard/>
        </div>
    }
}

/// `/settings/authentication`: how the account signs in: its passkeys, its
/// connected accounts and its password.
#[component]
pub fn AuthenticationPage() -> impl IntoView {
    view! {
        <PageHeading title="Authentication" description="How you sign in: passkeys, connected accounts, and your password."/>
        <div class="space-y-6">
            <PasskeysSection/>
            <crate::connections::view::ConnectionsSection/>
            <crate::sso::view::SsoSection/>
            <PasswordSignInCard/>
        </div>
    }
}
