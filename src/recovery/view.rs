//! Recovery pages (forgot password, reset, confirm email, "This wasn't me")
//! and the Security page's email and notifications section.

use super::EmailSettings;
use super::api::{
    ConfirmEmailChange, ReportNotMe, RequestEmailChange, RequestPasswordReset, ResetPassword,
    SetNewSignInNotices, check_reset_link, get_email_settings,
};
use crate::two_factor::api::sudo_prompt;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY};
use crate::ui::{
    Alert, AuthFrame, Field, StrengthMeter, SubmitButton, SudoFields, Tone, action_error,
    field_error, form_level_error,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const LINK: &str = "font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400";

fn query_token() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get("token")).unwrap_or_default())
}

/// `/forgot-password`: asks for the email; the answer never says whether it has an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(action);
    let sent = last_succeeded(action);
    view! {
        <AuthFrame title="Reset your password" subtitle="Enter your account's email address and we'll send you a link to choose a new password.">
            <Show when=move || sent.get() fallback=move || view! {
                <ActionForm action attr:class="space-y-5" attr:novalidate="">
                    {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                    <Field name="email" label="Email address" input_type="email" autocomplete="email" maxlength=254
                        error=Signal::derive(move || field_error(&error.get(), "email"))/>
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
    let error = last_error(action);
    let password = RwSignal::new(String::new());
    view! {
        <AuthFrame title="Choose a new password" subtitle="At least 12 characters. You'll sign in with it afterwards; two-factor authentication still applies.">
            <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    match valid.await {
                        Err(problem) => view! {
                            <Alert tone=Tone::Error>{problem.to_string()}</Alert>
                            <p class="mt-4 text-sm"><a href="/forgot-password" class=LINK>"Ask for a new link"</a></p>
                        }.into_any(),
                        Ok(()) => view! {
                            <ActionForm action attr:class="space-y-5" attr:novalidate="">
                                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                                <input type="hidden" name="token" prop:value=move || token.get()/>
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
                        <input type="hidden" name="token" prop:value=move || token.get()/>
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
                Some(ended) => view! {
                    <div class="space-y-3" data-testid="not-me-done">
                        <Alert tone=Tone::Success>{format!(
                            "Done. {} signed out, and we've emailed you a link to choose a new password. Until you do, nobody can sign in with the old one.",
                            match ended { 0 => "That session had already ended; nothing else was".to_string(), 1 => "1 session was".to_string(), n => format!("{n} sessions were") }
                        )}</Alert>
                        <p class="text-sm text-slate-600 dark:text-slate-300">"Then turn on two-factor authentication and review your API keys."</p>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="space-y-4">
                        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "token")).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <input type="hidden" name="token" prop:value=move || token.get()/>
                        <ul class="list-disc space-y-1 pl-5 text-sm text-slate-700 dark:text-slate-200">
                            <li>"The session the email was about is signed out (all sessions, for a change notice)."</li>
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

/// The Security page's email address (change it, confirmed by a link) and
/// the one notice that can be turned off.
#[component]
pub fn EmailAndNotices() -> impl IntoView {
    let change = ServerAction::<RequestEmailChange>::new();
    let preference = ServerAction::<SetNewSignInNotices>::new();
    let settings = Resource::new(
        move || (change.version().get(), preference.version().get()),
        |_| get_email_settings(),
    );
    view! {
        <Transition fallback=|| view! { <div class="h-24 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(data) => view! { <EmailSettingsForms data change preference/> }.into_any(),
                    Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmailSettingsForms(
    data: EmailSettings,
    change: ServerAction<RequestEmailChange>,
    preference: ServerAction<SetNewSignInNotices>,
) -> impl IntoView {
    let error = last_error(change);
    let requested = last_succeeded(change);
    let factor = data.sudo_factor;
    let needs_password = data.needs_password;
    view! {
        <div class="space-y-6">
            <div class="space-y-3">
                <p class="text-sm text-slate-700 dark:text-slate-200">"Your email: " <strong data-testid="account-email">{data.email.clone()}</strong></p>
                {move || requested.get().then(|| view! {
                    <Alert tone=Tone::Success>"Check the new address: the change happens when you follow the link we sent there. We told your current address too."</Alert>
                })}
                <details class="group">
                    <summary class=format!("{BUTTON_SECONDARY} cursor-pointer list-none [&::-webkit-details-marker]:hidden")>"Change email"</summary>
                    <ActionForm action=change attr:class="mt-3 max-w-md space-y-3">
                        {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        <Field name="new_email" label="New email address" input_type="email" autocomplete="email" maxlength=254
                            error=Signal::derive(move || field_error(&error.get(), "new_email"))/>
                        {needs_password.then(|| view! { <SudoFields id="change-email" second_factor=sudo_prompt(factor) error/> })}
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || change.pending().get()>"Send confirmation link"</button>
                    </ActionForm>
                </details>
            </div>
            <ActionForm action=preference attr:class="space-y-2 border-t border-slate-100 pt-4 dark:border-slate-800">
                <label class="flex items-start gap-3 text-sm text-slate-700 dark:text-slate-200">
                    <input type="checkbox" name="enabled" value="on" checked=data.new_sign_in_notices class="mt-0.5 accent-indigo-600" data-testid="new-sign-in-notices"/>
                    <span>"Email me when a new device signs in"
                        <span class="block text-slate-500 dark:text-slate-400">"Emails about password, email address and two-factor changes are always sent."</span>
                    </span>
                </label>
                <button type="submit" class=BUTTON_SECONDARY>"Save notification setting"</button>
            </ActionForm>
        </div>
    }
}
