//! `/login/two-factor`: the second step of signing in to an account with 2FA.

use super::parts::{CodeField, ResendButton};
use crate::passkeys::Ceremony;
use crate::passkeys::api::{finish_passkey_second_factor, start_passkey_second_factor};
use crate::two_factor::api::challenge::{
    CancelChallenge, SendSignInSms, VerifySignInCode, get_challenge_info,
};
use crate::two_factor::{ChallengeInfo, Method};
use crate::ui::flash::last_error;
use crate::ui::time::countdown;
use crate::ui::webauthn;
use crate::ui::{Alert, AuthFrame, SubmitButton, Tone, field_error, form_level_error};
use leptos::prelude::*;

/// Asks the half-signed-in browser for its second factor: a code from the
/// app, the SMS code, or a backup code.
#[component]
pub fn ChallengePage() -> impl IntoView {
    let verify = ServerAction::<VerifySignInCode>::new();
    let send = ServerAction::<SendSignInSms>::new();
    let cancel = ServerAction::<CancelChallenge>::new();
    let info = Resource::new(move || send.version().get(), |_| get_challenge_info());
    view! {
        <AuthFrame title="Two-factor authentication" subtitle="One more step: prove it's you with your second factor.">
            <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(info) => view! { <ChallengeForm info verify send/> }.into_any(),
                        Err(_) => view! {
                            <Alert tone=Tone::Error>
                                "This sign-in has expired. "
                                <a href="/login" class="font-medium underline">"Sign in again"</a>
                            </Alert>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=cancel attr:class="mt-6 text-center">
                <button type="submit" class="text-sm font-medium text-slate-600 underline hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">
                    "Cancel and go back to sign in"
                </button>
            </ActionForm>
        </AuthFrame>
    }
}

#[component]
fn ChallengeForm(
    info: ChallengeInfo,
    verify: ServerAction<VerifySignInCode>,
    send: ServerAction<SendSignInSms>,
) -> impl IntoView {
    let error = last_error(verify);
    let send_error = Signal::derive(move || match send.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    });
    let expires = countdown(info.expires_in_secs);
    let passkey = info.passkey;
    let prompt = match info.method {
        Method::Totp => view! {
            <p class="text-sm text-slate-600 dark:text-slate-300">
                "Open your authenticator app and enter the 6-digit code for StatusStack ("{info.email.clone()}")."
            </p>
        }
        .into_any(),
        Method::Passkey => view! {
            <p class="text-sm text-slate-600 dark:text-slate-300">
                "Confirm with one of your passkeys, or enter a backup code."
            </p>
        }
        .into_any(),
        Method::Sms => {
            let phone = info.phone.clone().unwrap_or_default();
            let sent = info.sms_sent;
            view! {
                <div class="space-y-3 text-sm text-slate-600 dark:text-slate-300">
                    <p>
                        {if sent { "We texted a code to " } else { "We will text a code to " }}
                        <strong class="text-slate-900 dark:text-white">{phone}</strong>"."
                    </p>
                    <ResendButton wait_secs=info.resend_in_secs pending=send.pending()
                        label=if sent { "Send a new code" } else { "Text me a code" }
                        on_resend=Callback::new(move |_| { send.dispatch(SendSignInSms {}); })/>
                    {move || send_error.get().map(|m| view! { <p class="text-red-600 dark:text-red-400">{m}</p> })}
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="space-y-5">
            {passkey.then(|| view! { <PasskeyStep/> })}
            {prompt}
            <ActionForm action=verify attr:class="space-y-5" attr:novalidate="">
                {move || form_level_error(error.get()).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                <CodeField id="sign-in-code" label=if info.method == Method::Passkey { "Backup code" } else { "Authentication code" } allow_backup=true
                    hint="Lost your device? Enter one of your backup codes instead."
                    error=Signal::derive(move || field_error(&error.get(), "code"))/>
                <SubmitButton label="Verify" busy_label="Verifying…" pending=verify.pending() full_width=true/>
            </ActionForm>
            <p class="text-center text-xs text-slate-500 dark:text-slate-400" data-testid="challenge-expiry">
                {move || match expires.get() {
                    0 => "This sign-in has expired; go back and sign in again.".to_string(),
                    secs => format!("This step expires in {}:{:02}.", secs / 60, secs % 60),
                }}
            </p>
        </div>
    }
}

/// "Use your passkey": the second step with one of the account's passkeys,
/// offered before the code (it needs the Wasm: WebAuthn is a browser API).
#[component]
fn PasskeyStep() -> impl IntoView {
    let supported = RwSignal::new(false);
    Effect::new(move |_| supported.set(webauthn::supported()));
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = move |_| {
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let start = async {
                start_passkey_second_factor()
                    .await
                    .map(Ceremony::into_parts)
            };
            match webauthn::ask_for_passkey(start, finish_passkey_second_factor).await {
                Ok(next) => webauthn::go_to(&next),
                Err(message) => {
                    pending.set(false);
                    error.set(message);
                }
            }
        });
    };
    view! {
        <Show when=move || supported.get()>
            <div class="space-y-3" data-testid="passkey-second-factor">
                {move || error.get().map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                <button type="button" on:click=confirm disabled=move || pending.get()
                    class="inline-flex w-full items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-wait disabled:opacity-70">
                    {move || if pending.get() { "Waiting for your passkey…" } else { "Use your passkey" }}
                </button>
                <div class="flex items-center gap-3 text-xs uppercase tracking-wider text-slate-500 dark:text-slate-400" aria-hidden="true">
                    <span class="h-px flex-1 bg-slate-200 dark:bg-slate-800"></span>"or"<span class="h-px flex-1 bg-slate-200 dark:bg-slate-800"></span>
                </div>
            </div>
        </Show>
    }
}
