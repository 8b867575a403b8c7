//! Account pages: sign in, sign up, and the change-password form with its
//! live strength meter.

pub mod overview;
pub mod password;

use super::api::{ConfirmEmailAddress, ResendEmailVerification, SignIn, SignUp, password_strength};
use crate::ids::encode_query_component;
use crate::ui::flash::{flashed_success, last_error};
use crate::ui::{
    Alert, AuthFrame, Field, StrengthMeter, SubmitButton, Tone, action_error, field_error,
    form_level_error,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/login`: email and password; returns to `?next=` afterwards.
/// `passkey` is the passkey sign-in another room draws under the form,
/// `providers` the "Continue with GitHub" buttons of another.
#[component]
pub fn LoginPage(
    #[prop(optional, into)] passkey: Option<ViewFn>,
    #[prop(optional, into)] providers: Option<ViewFn>,
    #[prop(optional, into)] sso: Option<ViewFn>,
) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = last_error(action);
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let typed_email = crate::account::TypedEmail(RwSignal::new(String::new()));
    provide_context(typed_email);
    let signup_href = move || {
        let next = next();
        if next.is_empty() {
            "/signup".to_string()
        } else {
            format!("/signup?next={}", encode_query_component(&next))
        }
    };
    view! {
        <AuthFrame title="Sign in" subtitle="Welcome back. Sign in to manage your team's status pages.">
            <ActionForm action=action attr:class="space-y-5" attr:novalidate="">
                {move || (error.get().is_none() && query.with(|q| q.get("challenge")).as_deref() == Some("expired")).then(|| view! {
                    <Alert tone=Tone::Info>"The two-factor step expired after 5 minutes. Sign in again."</Alert>
                })}
                {move || (error.get().is_none() && query.with(|q| q.get("reset")).as_deref() == Some("done")).then(|| view! {
                    <Alert tone=Tone::Success>"Your password was changed. Sign in with the new one."</Alert>
                })}
                {move || (error.get().is_none() && query.with(|q| q.get("verified")).as_deref() == Some("1")).then(|| view! {
                    <div data-testid="address-confirmed">
                        <Alert tone=Tone::Success>"Your address is confirmed. Sign in to continue."</Alert>
                    </div>
                })}
                {move || (error.get().is_none() && query.with(|q| q.get("signup")).as_deref() == Some("sent")).then(|| view! {
                    <div data-testid="sign-up-sent">
                        <Alert tone=Tone::Success>"Check your inbox: we sent a link to confirm your address. Open it, then sign in here. If you already had an account, the email tells you what to do instead."</Alert>
                    </div>
                })}
                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                <input type="hidden" name="next" value=next/>
                // `webauthn`: the browser may offer passkeys in this field's autofill.
                <Field name="email" label="Email address" input_type="email" autocomplete="email webauthn" maxlength=254
                    on_input=Callback::new(move |text: String| typed_email.0.set(text))
                    error=Signal::derive(move || field_error(&error.get(), "email"))/>
                <Field name="password" label="Password" input_type="password" autocomplete="current-password" maxlength=128
                    error=Signal::derive(move || field_error(&error.get(), "password"))/>
                <p class="-mt-2 text-right text-sm">
                    <a href="/forgot-password" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Forgot your password?"</a>
                </p>
                <SubmitButton label="Sign in" busy_label="Signing in…" pending=action.pending() full_width=true/>
            </ActionForm>
            {passkey.map(|passkey| passkey.run())}
            {providers.map(|providers| providers.run())}
            {sso.map(|sso| sso.run())}
            <p class="mt-6 text-center text-sm text-slate-500 dark:text-slate-400">
                "New to StatusStack? "
                <a href=signup_href class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Create an account"</a>
            </p>
        </AuthFrame>
    }
}

/// `/signup`: name, email and a password the policy accepts.
#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let error = last_error(action);
    let password = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    view! {
        <AuthFrame title="Create your account" subtitle="Start with a strong password; you can add two-factor authentication next.">
            <ActionForm action=action attr:class="space-y-5" attr:novalidate="">
                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                <Field name="name" label="Full name" autocomplete="name" maxlength=100
                    on_input=Callback::new(move |v| name.set(v))
                    error=Signal::derive(move || field_error(&error.get(), "name"))/>
                <Field name="email" label="Work email" input_type="email" autocomplete="email" maxlength=254
                    on_input=Callback::new(move |v| email.set(v))
                    error=Signal::derive(move || field_error(&error.get(), "email"))/>
                <Field name="password" label="Password" input_type="password" autocomplete="new-password" maxlength=128
                    hint="At least 12 characters. A passphrase of unrelated words works well."
                    on_input=Callback::new(move |v| password.set(v))
                    error=Signal::derive(move || field_error(&error.get(), "password"))/>
                <StrengthMeter password=password email=email name=name evaluate=password_strength/>
                <Field name="organization" label="Organization (optional)" autocomplete="organization" maxlength=80
                    required=false hint="Creates your team's organization with you as its Owner. You can also create or join one later."
                    error=Signal::derive(move || field_error(&error.get(), "organization"))/>
                <input type="hidden" name="next" value=next/>
                <SubmitButton label="Create account" busy_label="Creating account…" pending=action.pending() full_width=true/>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-500 dark:text-slate-400">
                "Already have an account? "
                <a href="/login" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Sign in"</a>
            </p>
        </AuthFrame>
    }
}

/// `/verify-email?token=…`: one click confirms the address the account
/// signed up with (a click, not the visit: mail scanners open links).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    // The sign-in page sends a browser that is already signed in straight on
    // to `next`.
    let continue_href = move || {
        let next = query.with(|q| q.get("next")).unwrap_or_default();
        super::sign_in_after(&super::safe_next_path(&next), "verified=1")
    };
    let action = ServerAction::<ConfirmEmailAddress>::new();
    // Posted without the Wasm, the outcome comes back in the flash.
    let flashed_ok = flashed_success::<ConfirmEmailAddress>();
    let error = last_error(action);
    let done = move || {
        action
            .value()
            .get()
            .and_then(Result::ok)
            .map(|confirmed| confirmed.email)
            .or_else(|| flashed_ok.then(String::new))
    };
    view! {
        <AuthFrame title="Confirm your email address" subtitle="One click, and your account is ready.">
            {move || match done() {
                Some(email) => view! {
                    <div class="space-y-4" data-testid="email-verified">
                        <Alert tone=Tone::Success>{if email.is_empty() {
                            "Thanks: your address is confirmed.".to_string()
                        } else {
                            format!("Thanks: {email} is confirmed.")
                        }}</Alert>
                        // A full page load (rel="external"), so the server sends a signed-in browser past the sign-in page.
                        <a href=continue_href rel="external" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"Continue to your account →"</a>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="space-y-4">
                        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "token")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <input type="hidden" name="token" value=token/>
                        <input type="hidden" name="next" value=move || query.with(|q| q.get("next")).unwrap_or_default()/>
                        <SubmitButton label="Confirm my address" busy_label="Confirming…" pending=action.pending() full_width=true/>
                    </ActionForm>
                }.into_any(),
            }}
        </AuthFrame>
    }
}

/// The banner over every settings page while the address is unconfirmed,
/// with a button that sends the link again.
#[component]
pub fn VerifyEmailBanner(email: String) -> impl IntoView {
    let resend = ServerAction::<ResendEmailVerification>::new();
    let error = action_error(resend);
    let sent = move || matches!(resend.value().get(), Some(Ok(())));
    view! {
        <div class="border-b border-amber-200 bg-amber-50 dark:border-amber-900 dark:bg-amber-950" data-testid="verify-email-banner">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm text-amber-900 sm:px-6 dark:text-amber-100">
                <p>
                    "Confirm your email address: we sent a link to " <strong>{email}</strong>
                    ". Until you do, you cannot create API keys, join or create a team, or use text messages."
                </p>
                <ActionForm action=resend attr:class="flex items-center gap-3">
                    {move || sent().then(|| view! { <span>"Sent. Check your inbox."</span> })}
                    {move || error.get().map(|error| view! { <span class="text-red-700 dark:text-red-300">{error.to_string()}</span> })}
                    <button type="submit" class="rounded-md bg-amber-600 px-3 py-1.5 font-medium text-white hover:bg-amber-500 disabled:opacity-60" disabled=move || resend.pending().get()>"Send the link again"</button>
                </ActionForm>
            </div>
        </div>
    }
}
