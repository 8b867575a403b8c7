//! `/login/sso`: the email-first sign-in. The address names the domain,
//! the domain names the organization whose identity provider signs the
//! person in. Works before the Wasm loads: the form is a plain GET of this
//! page and "Continue" is a link.

use crate::account::TypedEmail;
use crate::ids::encode_query_component;
use crate::sso::api::find_sso;
use crate::sso::{SsoProblem, email_domain};
use crate::ui::{Alert, AuthFrame, Tone};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const CONTINUE: &str = "inline-flex w-full items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/// The SSO sign-in page: an email field, then "Continue with … SSO".
#[component]
pub fn SsoSignInPage() -> impl IntoView {
    let query = use_query_map();
    let email = move || query.with(|q| q.get("email")).unwrap_or_default();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let problem = query.with_untracked(|q| q.get("sso_error")).map(|code| {
        code.parse::<SsoProblem>().map_or(
            "Single sign-on did not finish. Please try again.",
            SsoProblem::message,
        )
    });
    let choice = Resource::new(email, |email| async move {
        if email.trim().is_empty() {
            Ok(None)
        } else {
            find_sso(email).await
        }
    });
    view! {
        <AuthFrame title="Sign in with SSO" subtitle="Use your work email address: we send you to your organization's identity provider.">
            <div class="space-y-5">
                {problem.map(|message| view! { <div data-testid="sso-problem"><Alert tone=Tone::Error>{message}</Alert></div> })}
                <form method="get" action="/login/sso" class="space-y-4">
                    <input type="hidden" name="next" value=next/>
                    <div class="space-y-1.5">
                        <label for="sso-email" class="block text-sm font-medium text-slate-700 dark:text-slate-200">"Work email address"</label>
                        <input id="sso-email" name="email" type="email" autocomplete="email" required maxlength="254" value=email
                            class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 dark:border-slate-600 dark:bg-slate-900 dark:text-white"/>
                    </div>
                    <button type="submit" class="inline-flex w-full items-center justify-center rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800">
                        "Find my organization"
                    </button>
                </form>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let address = email();
                        match choice.await {
                            Ok(Some(choice)) => {
                                let href = format!(
                                    "/api/start_sso_sign_in?email={}&next={}",
                                    encode_query_component(address.trim()),
                                    encode_query_component(&next())
                                );
                                view! {
                                    <div class="space-y-3 rounded-lg border border-indigo-200 bg-indigo-50 p-4 dark:border-indigo-900 dark:bg-indigo-950/40" data-testid="sso-choice">
                                        <p class="text-sm text-slate-700 dark:text-slate-200">
                                            {format!("{} signs in people with @{} addresses.", choice.display_name, choice.domain)}
                                            {choice.required.then_some(" Its members must use single sign-on.")}
                                        </p>
                                        <a href=href rel="external" class=CONTINUE data-testid="sso-continue">
                                            {format!("Continue with {} SSO", choice.display_name)}
                                        </a>
                                    </div>
                                }.into_any()
                            }
                            Ok(None) if !address.trim().is_empty() => view! {
                                <div data-testid="sso-none">
                                    <Alert tone=Tone::Info>"Single sign-on is not set up for that address. Sign in with your password or another method instead."</Alert>
                                </div>
                            }.into_any(),
                            Ok(None) => ().into_any(),
                            Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="text-center text-sm text-slate-500 dark:text-slate-400">
                    <a href="/login" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Back to sign in"</a>
                </p>
            </div>
        </AuthFrame>
    }
}

/// The sign-in page's "Sign in with SSO" link; once the address typed
/// there is on a domain with single sign-on, "Continue with … SSO" for it.
#[component]
pub fn SsoSignInLink() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let href = move || match next() {
        next if !next.is_empty() => format!("/login/sso?next={}", encode_query_component(&next)),
        _ => "/login/sso".to_string(),
    };
    let typed = use_context::<TypedEmail>();
    let domain = Memo::new(move |_| typed.and_then(|typed| email_domain(&typed.0.get())));
    let found = Resource::new(
        move || domain.get(),
        |domain| async move {
            match domain {
                Some(domain) => find_sso(format!("someone@{domain}")).await.ok().flatten(),
                None => None,
            }
        },
    );
    let offer = move || {
        let choice = found.get().flatten()?;
        let email = typed.map(|typed| typed.0.get()).unwrap_or_default();
        let href = format!(
            "/api/start_sso_sign_in?email={}&next={}",
            encode_query_component(email.trim()),
            encode_query_component(&next())
        );
        Some(view! {
            <div class="mt-3 space-y-2 rounded-lg border border-indigo-200 bg-indigo-50 p-3 dark:border-indigo-900 dark:bg-indigo-950/40" data-testid="sso-offer">
                <p class="text-sm text-slate-700 dark:text-slate-200">
                    {format!("{} uses single sign-on for @{} addresses.", choice.display_name, choice.domain)}
                    {choice.required.then_some(" Its members cannot sign in with a password.")}
                </p>
                <a href=href rel="external" class=CONTINUE>{format!("Continue with {} SSO", choice.display_name)}</a>
            </div>
        })
    };
    view! {
        <Transition fallback=|| ()>{offer}</Transition>
        <a href=href class="mt-3 inline-flex w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800"
            data-testid="sign-in-with-sso">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" class="h-4 w-4" aria-hidden="true"><path d="M3 21h18M5 21V7l7-4 7 4v14M9 10h.01M15 10h.01M9 14h.01M15 14h.01"></path></svg>
            "Sign in with SSO"
        </a>
    }
}
