//! The Security page's email and notifications section; the pages the
//! mailed links open are in `links`.

pub mod links;

use super::EmailSettings;
use super::api::{RequestEmailChange, SetNewSignInNotices, get_email_settings};
use crate::two_factor::api::sudo_prompt;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::style::BUTTON_SECONDARY;
use crate::ui::{Alert, Field, SudoFields, Tone, field_error, form_level_error};
use leptos::prelude::*;

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
                    <Alert tone=Tone::Success>"Check the new address: the change happens when you follow the link we sent there. Your current address got a link that cancels it."</Alert>
                })}
                // Closes once a change is requested (the notice above says what next); stays open on an error.
                <details class="group" prop:open=move || change.value().with(|result| matches!(result, Some(Err(_))))>
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
