//! The Two-Factor card once 2FA is on: method, since when, backup codes
//! left, and the sudo-protected actions (regenerate, switch, turn off).

use super::TwoFactorActions;
use super::parts::{After, Arrival, arrive};
use crate::two_factor::{EnabledFactor, LOW_BACKUP_CODES, Method, SudoFactor};
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, INPUT, LABEL, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, SudoFields, Tone, action_error, field_error, form_level_error};
use leptos::prelude::*;

/// 2FA is on: method, since when, backup codes left, and the actions.
#[component]
pub fn EnabledCard(
    enabled: EnabledFactor,
    factor: SudoFactor,
    sudo: bool,
    actions: TwoFactorActions,
    after: After,
) -> impl IntoView {
    arrive(
        after,
        Arrival::Enabled,
        "two-factor-enabled",
        "Two-factor authentication is on.",
    );
    let method = enabled.method;
    let left = enabled.backup_codes_left;
    let regenerate_error = action_error(actions.regenerate);
    let disable_error = action_error(actions.disable);
    let switch_error = action_error(actions.start);
    let passkey_error = action_error(actions.use_passkeys);
    let (switch_label, switch_to) = match method {
        Method::Totp => ("Switch to SMS", Method::Sms),
        Method::Sms | Method::Passkey => ("Switch to an authenticator app", Method::Totp),
    };
    view! {
        <div id="two-factor-enabled" tabindex="-1" class="space-y-5" data-testid="two-factor-enabled">
            <div class="flex flex-wrap items-center gap-3">
                <span class="inline-flex items-center gap-1.5 rounded-full bg-emerald-100 px-3 py-1 text-sm font-medium text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200">
                    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" class="h-4 w-4" aria-hidden="true"><path d="M5 12l5 5L20 7"></path></svg>
                    "On"
                </span>
                <span class="text-sm text-slate-700 dark:text-slate-200">
                    {method.label()}
                    {enabled.phone.clone().map(|p| format!(" ({p})"))}
                    " · since "<RelativeTime at=enabled.since/>
                </span>
            </div>
            {(method == Method::Sms).then(|| view! {
                <Alert tone=Tone::Info>"SMS is weaker than an authenticator app. Switch when you can."</Alert>
            })}
            {(method == Method::Passkey).then(|| view! {
                <p class="text-sm text-slate-600 dark:text-slate-300">
                    "After your password, sign-in asks for one of your passkeys. Lost them all? A backup code gets you in. "
                    <a href="/settings/authentication" class="font-medium text-indigo-600 underline dark:text-indigo-400">"Manage passkeys"</a>
                </p>
            })}
            {(method != Method::Passkey && factor.passkey).then(|| view! {
                <p class="text-sm text-slate-600 dark:text-slate-300" data-testid="passkey-also-second-factor">
                    "Your passkeys work as the second step too: sign-in offers them first."
                </p>
            })}
            <div class="rounded-lg bg-slate-50 px-4 py-3 text-sm dark:bg-slate-800/60">
                <span class="font-medium text-slate-900 dark:text-white" data-testid="backup-codes-left">{format!("{left} of 10 backup codes left")}</span>
                {(left <= LOW_BACKUP_CODES).then(|| view! {
                    <p class="mt-1 text-amber-700 dark:text-amber-300">"You are running out of backup codes. Generate new ones and store them safely."</p>
                })}
            </div>
            <div class="flex flex-wrap items-start gap-3">
                <SensitiveAction id="regenerate" label="Regenerate backup codes" error=regenerate_error
                    note="All current backup codes stop working.">
                    <ActionForm action=actions.regenerate attr:class="space-y-3">
                        {sudo.then(|| view! { <SudoFields id="regenerate" second_factor=crate::two_factor::api::sudo_prompt(factor) error=regenerate_error/> })}
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || actions.regenerate.pending().get()>"Generate new codes"</button>
                    </ActionForm>
                </SensitiveAction>
                <SensitiveAction id="switch" label=switch_label error=switch_error
                    note="Your current method keeps working until the new one is verified.">
                    <ActionForm action=actions.start attr:class="space-y-3">
                        <input type="hidden" name="method" value=switch_to.as_str()/>
                        {(switch_to == Method::Sms).then(|| view! {
                            <label for="switch-phone" class=LABEL>"Mobile number"</label>
                            <input id="switch-phone" name="phone" type="tel" autocomplete="tel" required maxlength="32" placeholder="+14155550123" class=INPUT/>
                            {move || field_error(&switch_error.get(), "phone").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400">{m}</p> })}
                        })}
                        {sudo.then(|| view! { <SudoFields id="switch" second_factor=crate::two_factor::api::sudo_prompt(factor) error=switch_error/> })}
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || actions.start.pending().get()>"Continue"</button>
                    </ActionForm>
                </SensitiveAction>
                {(method != Method::Passkey && factor.passkey).then(|| view! {
                    <SensitiveAction id="use-passkeys" label="Use my passkeys instead" error=passkey_error
                        note="Sign-in then asks for a passkey after your password; your backup codes stay.">
                        <ActionForm action=actions.use_passkeys attr:class="space-y-3">
                            {sudo.then(|| view! { <SudoFields id="use-passkeys" second_factor=crate::two_factor::api::sudo_prompt(factor) error=passkey_error/> })}
                            <button type="submit" class=BUTTON_SECONDARY disabled=move || actions.use_passkeys.pending().get()>"Use my passkeys"</button>
                        </ActionForm>
                    </SensitiveAction>
                })}
                {(method == Method::Sms).then(|| view! {
                    <SensitiveAction id="change-number" label="Change phone number" error=switch_error
                        note="We text a code to the new number; the old one works until you verify it.">
                        <ActionForm action=actions.start attr:class="space-y-3">
                            <input type="hidden" name="method" value="sms"/>
                            <label for="new-phone" class=LABEL>"New mobile number"</label>
                            <input id="new-phone" name="phone" type="tel" autocomplete="tel" required maxlength="32" placeholder="+14155550123" class=INPUT/>
                            {move || field_error(&switch_error.get(), "phone").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400">{m}</p> })}
                            {sudo.then(|| view! { <SudoFields id="change-number" second_factor=crate::two_factor::api::sudo_prompt(factor) error=switch_error/> })}
                            <button type="submit" class=BUTTON_SECONDARY disabled=move || actions.start.pending().get()>"Text me a code"</button>
                        </ActionForm>
                    </SensitiveAction>
                })}
                <SensitiveAction id="disable" label="Turn off" error=disable_error danger=true
                    note="Your account will be protected by your password alone. Backup codes are deleted.">
                    <ActionForm action=actions.disable attr:class="space-y-3">
                        {sudo.then(|| view! { <SudoFields id="disable" second_factor=crate::two_factor::api::sudo_prompt(factor) error=disable_error/> })}
                        <button type="submit" class=BUTTON_DANGER disabled=move || actions.disable.pending().get()>"Turn off two-factor authentication"</button>
                    </ActionForm>
                </SensitiveAction>
            </div>
        </div>
    }
}

/// A sensitive action behind a disclosure, with its note and form-level error.
#[component]
fn SensitiveAction(
    id: &'static str,
    label: &'static str,
    note: &'static str,
    #[prop(into)] error: Signal<Option<crate::error::AppError>>,
    #[prop(optional)] danger: bool,
    children: Children,
) -> impl IntoView {
    let summary_class = if danger {
        format!("{SUMMARY} text-red-700 dark:text-red-400")
    } else {
        SUMMARY.to_string()
    };
    view! {
        // Open while its form has an error, so a refresh of the page around
        // it cannot fold the error out of sight.
        <details class="group w-full sm:w-auto" data-testid=format!("action-{id}") open=move || error.get().is_some()>
            <summary class=summary_class>{label}</summary>
            <div class="mt-2 w-full space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-lg sm:w-80 dark:border-slate-700 dark:bg-slate-900">
                <p class="text-slate-600 dark:text-slate-300">{note}</p>
                {move || form_level_error(error.get()).map(|m| view! { <Alert tone=Tone::Error>{m}</Alert> })}
                {children()}
            </div>
        </details>
    }
}
