//! The Security page's Two-Factor section: the set-up stepper (choose →
//! scan or enter number → verify → save backup codes) and, once on, the status
//! card with its sudo-protected actions.

pub mod challenge;
mod enabled;
pub mod parts;
pub mod setup;

use super::api::{
    CancelEnrolment, ConfirmEnrolment, DisableTwoFactor, RegenerateBackupCodes, ResendEnrolmentSms,
    StartEnrolment, UsePasskeysForTwoFactor, get_two_factor_status,
};
use super::{Method, PendingEnrolment, SudoFactor, TwoFactorStatus};
use crate::ui::style::{INPUT, LABEL};
use crate::ui::{
    Alert, SubmitButton, SudoFields, Tone, action_error, field_error, form_level_error,
};
use enabled::EnabledCard;
use leptos::prelude::*;
use parts::{After, Arrival, BackupCodesPanel, CodeField, ResendButton, Steps, arrive};

/// Every action of the section, created by the page so other cards (the
/// overview) can refresh when 2FA changes.
#[derive(Clone, Copy)]
pub struct TwoFactorActions {
    pub start: ServerAction<StartEnrolment>,
    pub confirm: ServerAction<ConfirmEnrolment>,
    pub cancel: ServerAction<CancelEnrolment>,
    pub resend: ServerAction<ResendEnrolmentSms>,
    pub regenerate: ServerAction<RegenerateBackupCodes>,
    pub disable: ServerAction<DisableTwoFactor>,
    pub use_passkeys: ServerAction<UsePasskeysForTwoFactor>,
}

impl TwoFactorActions {
    pub fn new() -> Self {
        TwoFactorActions {
            start: ServerAction::new(),
            confirm: ServerAction::new(),
            cancel: ServerAction::new(),
            resend: ServerAction::new(),
            regenerate: ServerAction::new(),
            disable: ServerAction::new(),
            use_passkeys: ServerAction::new(),
        }
    }

    /// Changes whenever an action that alters 2FA completes.
    pub fn version(&self) -> usize {
        self.start.version().get()
            + self.confirm.version().get()
            + self.cancel.version().get()
            + self.resend.version().get()
            + self.regenerate.version().get()
            + self.disable.version().get()
            + self.use_passkeys.version().get()
    }
}

impl Default for TwoFactorActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The Two-Factor Authentication card's body.
#[component]
pub fn TwoFactorSection(actions: TwoFactorActions) -> impl IntoView {
    let status = Resource::new(move || actions.version(), |_| get_two_factor_status());
    let after: After = RwSignal::new(None);
    Effect::new(move |_| match actions.start.value().get() {
        Some(Ok(())) => after.set(Some((Arrival::Verify, true))),
        Some(Err(_)) => after.set(Some((Arrival::Methods, false))),
        None => {}
    });
    Effect::new(move |_| match actions.confirm.value().get() {
        Some(Ok(Some(_))) => after.set(Some((Arrival::Codes, true))),
        Some(Ok(None)) => after.set(Some((Arrival::Enabled, true))),
        Some(Err(_)) => after.set(Some((Arrival::Code, false))),
        None => {}
    });
    Effect::new(move |_| match actions.use_passkeys.value().get() {
        Some(Ok(Some(_))) => after.set(Some((Arrival::Codes, true))),
        Some(Ok(None)) => after.set(Some((Arrival::Enabled, true))),
        Some(Err(_)) => after.set(Some((Arrival::Methods, false))),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.regenerate.value().get() {
            after.set(Some((Arrival::Codes, true)));
        }
    });
    Effect::new(move |_| {
        let disabled = matches!(actions.disable.value().get(), Some(Ok(())));
        let cancelled = matches!(actions.cancel.value().get(), Some(Ok(())));
        if disabled || cancelled {
            after.set(Some((Arrival::Methods, true)));
        }
    });
    // Backup codes exist in the browser only between this response and "Done".
    let revealed = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        if let Some(Ok(Some(codes))) = actions.confirm.value().get() {
            revealed.set(Some(codes));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(codes)) = actions.regenerate.value().get() {
            revealed.set(Some(codes));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(Some(codes))) = actions.use_passkeys.value().get() {
            revealed.set(Some(codes));
        }
    });
    // Codes a form posted without the Wasm confirmed come with the status,
    // once; "Done" dismisses them like the ones an action returned.
    let dismissed = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
            {move || Suspend::new(async move {
                let status = status.await;
                let from_page = status
                    .as_ref()
                    .ok()
                    .and_then(|status| status.revealed_backup_codes.clone())
                    .filter(|_| !dismissed.get());
                match (status, revealed.get().or(from_page)) {
                    (_, Some(codes)) => view! { <RevealStep codes revealed dismissed after/> }.into_any(),
                    (Ok(status), None) => view! { <StatusView status actions after/> }.into_any(),
                    (Err(error), None) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Step 4: the new backup codes, once.
#[component]
fn RevealStep(
    codes: Vec<String>,
    revealed: RwSignal<Option<Vec<String>>>,
    dismissed: RwSignal<bool>,
    after: After,
) -> impl IntoView {
    arrive(
        after,
        Arrival::Codes,
        "backup-codes-step",
        "Save your backup codes now: you will not see them again. Two-factor authentication is on.",
    );
    view! {
        <div id="backup-codes-step" data-testid="backup-codes-step" tabindex="-1" role="group" aria-labelledby="backup-codes-title">
            <Steps current=4 method=None/>
            <h3 id="backup-codes-title" class="text-base font-semibold text-slate-900 dark:text-white">"Save your backup codes"</h3>
            <p class="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-300">"Two-factor authentication is on. These codes are your way in if you lose your device."</p>
            <BackupCodesPanel codes on_done=Callback::new(move |_| {
                after.set(Some((Arrival::Enabled, true)));
                revealed.set(None);
                dismissed.set(true);
            })/>
            <p class="mt-4 text-sm text-slate-600 dark:text-slate-300">
                "Next: "
                <a href="#sessions" class="font-medium text-indigo-600 underline dark:text-indigo-400">"sign out sessions that did not use 2FA"</a>
                " so only verified devices stay signed in."
            </p>
        </div>
    }
}

/// The set-up step in progress, or the status of 2FA once it is on.
#[component]
fn StatusView(status: TwoFactorStatus, actions: TwoFactorActions, after: After) -> impl IntoView {
    let passkeys = status.passkeys;
    let factor = SudoFactor {
        method: status.enabled.as_ref().map(|e| e.method),
        passkey: passkeys > 0,
        passwordless: status.passwordless,
    };
    let sudo = status.needs_sudo;
    match (status.enabled, status.pending) {
        (_, Some(pending)) => view! { <VerifyStep pending actions after/> }.into_any(),
        (Some(enabled), None) => {
            view! { <EnabledCard enabled factor sudo actions after/> }.into_any()
        }
        (None, None) => view! {
            <Steps current=1 method=None/>
            <ChooseMethod factor passkeys sudo actions after/>
        }
        .into_any(),
    }
}

/// Step 1: the methods, each its own form (works before the Wasm loads);
/// the account's passkeys among them once it has one.
#[component]
fn ChooseMethod(
    factor: SudoFactor,
    passkeys: i64,
    sudo: bool,
    actions: TwoFactorActions,
    after: After,
) -> impl IntoView {
    let error = action_error(actions.start);
    let passkey_error = action_error(actions.use_passkeys);
    arrive(
        after,
        Arrival::Methods,
        "two-factor-methods",
        "Two-factor authentication is off.",
    );
    // Every set-up asks for the password (and the current factor) unless
    // this session confirmed it within the last few minutes.
    let needs_sudo = sudo;
    view! {
        <div id="two-factor-methods" tabindex="-1">
            {move || form_level_error(error.get()).map(|m| view! { <div class="mb-4"><Alert tone=Tone::Error>{m}</Alert></div> })}
            <div class="grid gap-4 lg:grid-cols-2">
                <ActionForm action=actions.start attr:class="flex flex-col gap-3 rounded-xl border-2 border-indigo-200 p-4 dark:border-indigo-900">
                    <input type="hidden" name="method" value="totp"/>
                    <div class="flex items-center gap-2">
                        <h3 class="font-semibold text-slate-900 dark:text-white">"Authenticator app"</h3>
                        <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200">"Recommended"</span>
                    </div>
                    <p class="text-sm text-slate-600 dark:text-slate-300">"Google Authenticator, Authy, 1Password or any TOTP app. Works offline and cannot be intercepted like a text message."</p>
                    {needs_sudo.then(|| view! { <SudoFields id="start-totp" second_factor=crate::two_factor::api::sudo_prompt(factor) error/> })}
                    <div class="mt-auto"><SubmitButton label="Set up authenticator app" busy_label="Preparing…" pending=actions.start.pending()/></div>
                </ActionForm>
                <ActionForm action=actions.start attr:class="flex flex-col gap-3 rounded-xl border border-slate-200 p-4 dark:border-slate-700">
                    <input type="hidden" name="method" value="sms"/>
                    <h3 class="font-semibold text-slate-900 dark:text-white">"Text message (SMS)"</h3>
                    <p class="text-sm text-amber-800 dark:text-amber-200">"Weaker than an app: texts can be intercepted or your number taken over by SIM swapping. Use it only if you cannot use an app."</p>
                    <div class="space-y-1.5">
                        <label for="sms-phone" class=LABEL>"Mobile number"</label>
                        <input id="sms-phone" name="phone" type="tel" autocomplete="tel" required maxlength="32" placeholder="+14155550123" class=INPUT
                            aria-invalid=move || field_error(&error.get(), "phone").is_some().then_some("true")/>
                        <p class="text-xs text-slate-500 dark:text-slate-400">"International format with + and country code."</p>
                        {move || field_error(&error.get(), "phone").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                    </div>
                    {needs_sudo.then(|| view! { <SudoFields id="start-sms" second_factor=crate::two_factor::api::sudo_prompt(factor) error/> })}
                    <div class="mt-auto"><SubmitButton label="Text me a code" busy_label="Sending…" pending=actions.start.pending()/></div>
                </ActionForm>
                {if passkeys > 0 {
                    view! {
                        <ActionForm action=actions.use_passkeys attr:class="flex flex-col gap-3 rounded-xl border border-slate-200 p-4 lg:col-span-2 dark:border-slate-700" attr:data-testid="use-passkeys-form">
                            <div class="flex items-center gap-2">
                                <h3 class="font-semibold text-slate-900 dark:text-white">"Your passkeys"</h3>
                                <span class="rounded-full bg-indigo-100 px-2 py-0.5 text-xs font-medium text-indigo-800 dark:bg-indigo-900/40 dark:text-indigo-200">"Phishing-resistant"</span>
                            </div>
                            <p class="text-sm text-slate-600 dark:text-slate-300">
                                {format!("After your password, confirm with {} (its PIN or biometric). Nothing to install, nothing to type, and a fake site cannot ask for it.", if passkeys == 1 { "your passkey".to_string() } else { format!("one of your {passkeys} passkeys") })}
                            </p>
                            {move || form_level_error(passkey_error.get()).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                            {needs_sudo.then(|| view! { <SudoFields id="use-passkeys" second_factor=crate::two_factor::api::sudo_prompt(factor) error=passkey_error/> })}
                            <div class="mt-auto"><SubmitButton label="Use my passkeys" busy_label="Turning on…" pending=actions.use_passkeys.pending()/></div>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p class="text-sm text-slate-600 lg:col-span-2 dark:text-slate-300">
                            "Prefer a passkey? "
                            <a href="/settings/authentication" class="font-medium text-indigo-600 underline dark:text-indigo-400">"Add one in Authentication"</a>
                            ", then use it as your second factor: phishing-resistant, nothing to type."
                        </p>
                    }.into_any()
                }}
            </div>
        </div>
    }
}

/// Steps 2 and 3: scan the QR code (or note the number) and enter a code.
#[component]
fn VerifyStep(pending: PendingEnrolment, actions: TwoFactorActions, after: After) -> impl IntoView {
    let error = action_error(actions.confirm);
    let resend_error = action_error(actions.resend);
    let method = pending.method;
    let (title, sentence) = match method {
        Method::Totp => (
            "Scan the QR code",
            "Step 2 of 4. Scan the QR code with your authenticator app, or enter the key shown, then enter the 6-digit code it gives.",
        ),
        // Passkeys have no set-up step: only the two code methods are pending.
        Method::Sms | Method::Passkey => (
            "Enter the code we texted you",
            "Step 3 of 4. We texted you a 6-digit code: enter it to turn two-factor authentication on.",
        ),
    };
    arrive(after, Arrival::Verify, "verify-step-title", sentence);
    arrive(after, Arrival::Code, "enrol-code", "");
    let instructions = match method {
        Method::Totp => view! {
            // The mark keeps the page that shows the key from being compressed (BREACH).
            <div class="grid gap-6 md:grid-cols-[auto_1fr] md:items-start" data-one-time-secret="">
                <div class="mx-auto w-48 rounded-xl bg-white p-3 shadow-sm ring-1 ring-slate-200 sm:w-52 dark:ring-slate-700" data-testid="qr-code"
                    inner_html=pending.qr_svg.clone().unwrap_or_default()></div>
                <div class="space-y-3 text-sm text-slate-600 dark:text-slate-300">
                    <p>"Scan the QR code with your authenticator app (Google Authenticator, Authy, 1Password…)."</p>
                    <p>"Can't scan? Enter this key in the app instead (time-based, 6 digits):"</p>
                    <div class="flex flex-wrap items-center gap-2">
                        <code id="manual-key" data-testid="manual-key" class="rounded-lg bg-slate-100 px-3 py-2 font-mono text-sm tracking-wider text-slate-900 dark:bg-slate-800 dark:text-slate-100">
                            {pending.manual_key.clone().unwrap_or_default()}
                        </code>
                        <crate::ui::CopyButton text=pending.manual_key.clone().unwrap_or_default().replace(' ', "") select_id="manual-key"/>
                    </div>
                </div>
            </div>
        }
        .into_any(),
        Method::Sms | Method::Passkey => view! {
            <div class="space-y-3 text-sm text-slate-600 dark:text-slate-300">
                <p>"We texted a 6-digit code to "<strong class="text-slate-900 dark:text-white">{pending.phone.clone().unwrap_or_default()}</strong>". It is valid for 10 minutes."</p>
                <div class="flex flex-wrap items-center gap-3">
                    <ResendButton wait_secs=pending.resend_in_secs pending=actions.resend.pending()
                        on_resend=Callback::new(move |_| { actions.resend.dispatch(ResendEnrolmentSms {}); })/>
                    {move || resend_error.get().map(|e| view! { <span class="text-sm text-red-600 dark:text-red-400">{e.to_string()}</span> })}
                </div>
            </div>
        }
        .into_any(),
    };
    view! {
        <div data-testid="verify-step">
            <Steps current=3 method=Some(method)/>
            <h3 id="verify-step-title" tabindex="-1" class="mb-3 text-base font-semibold text-slate-900 dark:text-white">{title}</h3>
            {instructions}
            <ActionForm action=actions.confirm attr:class="mt-6 flex flex-wrap items-end gap-3">
                <CodeField id="enrol-code" label="Enter the 6-digit code to turn it on"
                    error=Signal::derive(move || field_error(&error.get(), "code").or_else(|| form_level_error(error.get())))/>
                <SubmitButton label="Verify and turn on" busy_label="Verifying…" pending=actions.confirm.pending()/>
            </ActionForm>
            <ActionForm action=actions.cancel attr:class="mt-3">
                <button type="submit" class="text-sm font-medium text-slate-600 underline hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">
                    "Cancel set-up"
                </button>
            </ActionForm>
        </div>
    }
}
