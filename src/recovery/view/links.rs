//! The pages the mailed links open: forgot password and reset, confirming
//! and cancelling an email change, "This wasn't me", and the page that
//! lists what a recovery undid.

use crate::account::EMAIL_MAX_CHARS;
use crate::recovery::RecoveryReport;
use crate::recovery::api::{
    CancelEmailChange, ConfirmEmailChange, ReportNotMe, RequestPasswordReset, ResetPassword,
    check_reset_link,
};
use crate::ui::flash::{flashed_success, last_error, last_succeeded};
use crate::ui::style::BUTTON_DANGER;
use crate::ui::{
    Alert, AuthFrame, Field, StrengthMeter, SubmitButton, Tone, action_error, field_error,
    form_level_error,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const LINK: &str = "font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400";

fn query_token() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get("token")).unwrap_or_default())
}

/// The things a recovery undid, one per line.
#[component]
pub fn UndoneList(report: RecoveryReport) -> impl IntoView {
    let lines = report.lines();
    (!lines.is_empty()).then(|| {
        view! {
            <ul class="list-disc space-y-1 pl-5 text-sm text-slate-700 dark:text-slate-200" data-testid="undone">
                {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        }
    })
}

/// A finished password reset: what it undid and the way to sign in.
#[component]
fn RecoveryDone(report: RecoveryReport) -> impl IntoView {
    view! {
        <div class="space-y-4" data-testid="reset-done">
            <Alert tone=Tone::Success>"Your password was changed. Sign in with the new one; two-factor authentication still applies."</Alert>
            <UndoneList report/>
            <a href="/login" class=LINK>"Sign in"</a>
        </div>
    }
}

/// `/recovered?…`: where a reset or "This wasn't me" posted without the
/// Wasm lands; the counts of what it undid come in the address.
#[component]
pub fn RecoveredPage() -> impl IntoView {
    let query = use_query_map();
    let report = move || RecoveryReport::from_query(|name| query.with(|q| q.get(name)));
    view! {
        <AuthFrame title="Your account is secured" subtitle="We've emailed you the details too.">
            {move || view! { <RecoveryDone report=report()/> }}
        </AuthFrame>
    }
}

/// `/forgot-password`: asks for the email; the answer never says whether it has an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(action);
    let sent = last_succeeded(action);
    // A signed-in account without a password arrives with its address, so
    // setting one is a single press.
    let email = StoredValue::new(
        use_query_map()
            .with_untracked(|query| query.get("email"))
            .unwrap_or_default()
            .chars()
            .take(EMAIL_MAX_CHARS)
            .collect::<String>(),
    );
    view! {
        <AuthFrame title="Reset your password" subtitle="Enter your account's email address and we'll send you a link to choose a new password.">
            <Show when=move || sent.get() fallback=move || view! {
                <ActionForm action attr:class="space-y-5" attr:novalidate="">
                    {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                    <Field name="email" label="Email address" input_type="email" autocomplete="email" maxlength=EMAIL_MAX_CHARS
                        value=email.get_value() error=Signal::derive(move || field_error(&error.get(), "email"))/>
                    <SubmitButton label="Send reset link" busy_label="Sending…" pending=action.pending() full_width=true/>
                </ActionForm>
            }>
                <div data-testid="reset-sent">
                    <Alert tone=Tone::Success>"If an account uses that address, we've sent it a link. It works once, for 30 minutes. Check your spam folder too."</Alert>
                </div>
            </Show>
            <p class="mt-6 text-center text-sm text-slate-500 dark:text-slate-400">
                "Remembered it? " <a href="/login" class=LINK>"Sign in"</a>
            </p>
        </AuthFrame>
    }
}

/// `/reset-password?token=…`: a new password under the usual policy, and
/// "Sign out of all sessions" (on by default).
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query_token();
    let valid = Resource::new(move || token.get(), check_reset_link);
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let done = move || action.value().get().and_then(Result::ok);
    let password = RwSignal::new(String::new());
    view! {
        <AuthFrame title="Choose a new password" subtitle="At least 12 characters. You'll sign in with it afterwards; two-factor authentication still applies.">
            <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    if let Some(report) = done() {
                        return view! { <RecoveryDone report/> }.into_any();
                    }
                    match valid.await {
                        Err(problem) => view! {
                            <Alert tone=Tone::Error>{problem.to_string()}</Alert>
                            <p class="mt-4 text-sm"><a href="/forgot-password" class=LINK>"Ask for a new link"</a></p>
                        }.into_any(),
                        Ok(()) => view! {
                            <ActionForm action attr:class="space-y-5" attr:novalidate="">
                                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                                <input type="hidden" name="token" value=move || token.get()/>
                                <Field name="new_password" label="New password" input_type="password" autocomplete="new-password" maxlength=128
                                    on_input=Callback::new(move |v| password.set(v))
                                    error=Signal::derive(move || field_error(&error.get(), "new_password"))/>
                                <StrengthMeter password=password evaluate=crate::account::api::password_strength/>
                                <label class="flex items-start gap-3 text-sm text-slate-700 dark:text-slate-200">
                                    <input type="checkbox" name="sign_out_everywhere" value="on" checked class="mt-0.5 accent-indigo-600"/>
                                    <span>"Sign out of all sessions" <span class="block text-slate-500 dark:text-slate-400">"Recommended: anyone who used your old password is signed out."</span></span>
                                </label>
                                <SubmitButton label="Set new password" busy_label="Saving…" pending=action.pending() full_width=true/>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Transition>
        </AuthFrame>
    }
}

/// `/confirm-email?token=…`: one click makes the new address the account's.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let token = query_token();
    let action = ServerAction::<ConfirmEmailChange>::new();
    let error = action_error(action);
    let done = move || action.value().get().and_then(Result::ok);
    view! {
        <AuthFrame title="Confirm your new email" subtitle="Your account's email changes only when you confirm here.">
            {move || match done() {
                Some(email) => view! {
                    <div data-testid="email-confirmed">
                        <Alert tone=Tone::Success>{format!("Done: your account's email is now {email}.")}</Alert>
                        <p class="mt-4 text-sm"><a href="/settings/security" class=LINK>"Go to your security settings"</a></p>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="space-y-5">
                        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "token")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <input type="hidden" name="token" value=move || token.get()/>
                        <SubmitButton label="Confirm this address" busy_label="Confirming…" pending=action.pending() full_width=true/>
                    </ActionForm>
                }.into_any(),
            }}
        </AuthFrame>
    }
}

/// `/this-wasnt-me?token=…`: confirms, then signs the intruder out and starts a reset.
#[component]
pub fn NotMePage() -> impl IntoView {
    let token = query_token();
    let action = ServerAction::<ReportNotMe>::new();
    let error = action_error(action);
    let done = move || action.value().get().and_then(Result::ok);
    view! {
        <AuthFrame title="This wasn't me" subtitle="Lock out whoever did this and take your account back.">
            {move || match done() {
                Some(report) => view! {
                    <div class="space-y-3" data-testid="not-me-done">
                        <Alert tone=Tone::Success>"Done. We've emailed you a link to choose a new password; until you do, nobody can sign in."</Alert>
                        <UndoneList report/>
                        <p class="text-sm text-slate-600 dark:text-slate-300">"Then turn on two-factor authentication and review your API keys."</p>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="space-y-4">
                        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "token")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <input type="hidden" name="token" value=move || token.get()/>
                        <ul class="list-disc space-y-1 pl-5 text-sm text-slate-700 dark:text-slate-200">
                            <li>"The session the email was about is signed out (all sessions, for a change notice), and the API keys and backup codes it made are revoked."</li>
                            <li>"Links sent earlier stop working, and an email change of the last 72 hours away from the address this came to is undone."</li>
                            <li>"Your password must be reset before anyone can sign in again; we email you the link."</li>
                            <li>"The report is recorded in your Login History."</li>
                        </ul>
                        <button type="submit" class=format!("{BUTTON_DANGER} w-full") disabled=move || action.pending().get()>"Sign it out and secure my account"</button>
                    </ActionForm>
                }.into_any(),
            }}
        </AuthFrame>
    }
}

/// `/cancel-email-change?token=…`: one click stops a requested change of
/// the account's address and signs out the session that asked.
#[component]
pub fn CancelEmailChangePage() -> impl IntoView {
    let token = query_token();
    let action = ServerAction::<CancelEmailChange>::new();
    // Posted without the Wasm, the outcome comes back in the flash, or as
    // `?cancelled=1` when the post had no referrer to return to.
    let arrived_cancelled = use_query_map()
        .with_untracked(|q| q.get("cancelled"))
        .as_deref()
        == Some("1");
    let flashed_ok = arrived_cancelled || flashed_success::<CancelEmailChange>();
    let error = last_error(action);
    let done = move || {
        action
            .value()
            .get()
            .and_then(Result::ok)
            .map(|cancelled| {
                let ended = if cancelled.session_ended {
                    " The session that asked for it was signed out."
                } else {
                    ""
                };
                format!(
                    "Cancelled: the account will not move to {}.{ended}",
                    cancelled.new_email
                )
            })
            .or_else(|| {
                flashed_ok.then(|| "Cancelled: the account keeps this address.".to_string())
            })
    };
    view! {
        <AuthFrame title="Cancel the email change" subtitle="Your account keeps this address.">
            {move || match done() {
                Some(message) => view! {
                    <div class="space-y-3" data-testid="email-change-cancelled">
                        <Alert tone=Tone::Success>{message}</Alert>
                        <p class="text-sm text-slate-600 dark:text-slate-300">
                            "If you did not ask for the change, someone knew your password: "
                            <a href="/forgot-password" class=LINK>"choose a new one"</a>
                            " and turn on two-factor authentication."
                        </p>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="space-y-4">
                        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "token")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <input type="hidden" name="token" value=move || token.get()/>
                        <button type="submit" class=format!("{BUTTON_DANGER} w-full") disabled=move || action.pending().get()>"Cancel the change"</button>
                    </ActionForm>
                }.into_any(),
            }}
        </AuthFrame>
    }
}
