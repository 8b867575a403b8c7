//! The HTML shell and the router.

use crate::ui::Logo;
use crate::ui::flash::provide_page_flash;
use crate::ui::live::{LiveAnnouncer, provide_announcer};
use crate::ui::page::RouteProgress;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};
use settings::{SecurityPage, SettingsLayout};

mod lazy;
mod settings;

/// Loads the clicked page (or this one) afresh, once, when the Wasm has
/// trapped because a page's own file did not load (gone since a deploy, or
/// dropped): see `app/recover.js`.
const RECOVER_SCRIPT: &str = include_str!("app/recover.js");

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet id="leptos" options=options.clone()/>
                <HydrationScripts options/>
                <script nonce=leptos::nonce::use_nonce() inner_html=RECOVER_SCRIPT></script>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App/>
            </body>
        </html>
    }
}

/// The application: routes for the signed-out pages and the settings area.
/// Every page streams in order: each section is in the HTML where it
/// belongs, so a browser without the Wasm (or before it loads) sees the
/// whole page, not the fallbacks that out-of-order streaming fills in with
/// a script.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_page_flash();
    provide_announcer();
    let (routing, set_routing) = signal(false);
    view! {
        <Title formatter=|title: String| format!("{title} · StatusStack")/>
        <RouteProgress routing/>
        <Router set_is_routing=set_routing>
            <Routes fallback=NotFound>
                <Route path=path!("/login") ssr=SsrMode::InOrder view={Lazy::<lazy::Login>::new()}/>
                <Route path=path!("/login/sso") ssr=SsrMode::InOrder view={Lazy::<lazy::SsoSignIn>::new()}/>
                <Route path=path!("/signup") ssr=SsrMode::InOrder view={Lazy::<lazy::Signup>::new()}/>
                <Route path=path!("/login/two-factor") ssr=SsrMode::InOrder view={Lazy::<lazy::TwoFactorChallenge>::new()}/>
                <Route path=path!("/verify-email") ssr=SsrMode::InOrder view={Lazy::<lazy::VerifyEmail>::new()}/>
                <Route path=path!("/forgot-password") ssr=SsrMode::InOrder view={Lazy::<lazy::ForgotPassword>::new()}/>
                <Route path=path!("/reset-password") ssr=SsrMode::InOrder view={Lazy::<lazy::ResetPassword>::new()}/>
                <Route path=path!("/confirm-email") ssr=SsrMode::InOrder view={Lazy::<lazy::ConfirmEmail>::new()}/>
                <Route path=path!("/cancel-email-change") ssr=SsrMode::InOrder view={Lazy::<lazy::CancelEmailChange>::new()}/>
                <Route path=path!("/this-wasnt-me") ssr=SsrMode::InOrder view={Lazy::<lazy::NotMe>::new()}/>
                <Route path=path!("/recovered") ssr=SsrMode::InOrder view={Lazy::<lazy::Recovered>::new()}/>
                <Route path=path!("/join") ssr=SsrMode::InOrder view={Lazy::<lazy::Join>::new()}/>
                <Route path=path!("/two-factor-setup") ssr=SsrMode::InOrder view={Lazy::<lazy::TwoFactorSetup>::new()}/>
                <ParentRoute path=path!("/settings") view=SettingsLayout ssr=SsrMode::InOrder>
                    <Route path=path!("") view=|| view! { <Redirect path="/settings/security"/> }/>
                    <Route path=path!("security") view=SecurityPage/>
                    <Route path=path!("api-keys") view={Lazy::<lazy::ApiKeys>::new()}/>
                    <Route path=path!("authentication") view={Lazy::<lazy::Authentication>::new()}/>
                    <Route path=path!("team") view={Lazy::<lazy::Team>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
        <LiveAnnouncer/>
    }
}

/// Shown for any address the app does not know.
#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <main class="flex min-h-screen flex-col items-center justify-center gap-4 px-4 text-center">
            <Logo/>
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="text-sm text-slate-500 dark:text-slate-400">"The page you asked for doesn't exist or has moved."</p>
            <a href="/settings/security" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Go to your security settings"</a>
        </main>
    }
}
