//! The password cards: change it on the Security page, what it does on the
//! Authentication page, and, for an account made through a sign-in provider
//! (no password until an emailed link sets one), how to set one.

use crate::account::SignedInUser;
use crate::account::api::{ChangePassword, password_strength};
use crate::ids::encode_query_component;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::{
    Alert, Card, Field, StrengthMeter, SubmitButton, Tone, field_error, form_level_error,
};
use leptos::prelude::*;

const LINK: &str = "font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400";

/// The signed-in account's address when it has no password, `None` when it
/// has one (or the frame did not share the user).
async fn passwordless_email(user: Option<SignedInUser>) -> Option<String> {
    match user?.0.await {
        Ok(Some(user)) if !user.has_password => Some(user.email),
        _ => None,
    }
}

/// `without(email)` for an account without a password, `with()` for one
/// that has it, once the frame's user is known.
fn by_password(with: fn() -> AnyView, without: fn(String) -> AnyView) -> impl IntoView {
    let user = use_context::<SignedInUser>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match passwordless_email(user).await {
                    Some(email) => without(email),
                    None => with(),
                }
            })}
        </Transition>
    }
}

/// The Security page's password card: the change-password form, or for an
/// account without a password the way to set one.
#[component]
pub fn PasswordCard() -> impl IntoView {
    by_password(
        || {
            view! {
            <Card id="password" title="Change password"
                description="Use at least 12 characters. Changing it signs out all your other sessions.">
                <ChangePasswordForm/>
            </Card>
        }.into_any()
        },
        |email| {
            view! {
            <Card id="password" title="Set a password"
                description="Your account has none yet: you sign in with a connected account, single sign-on or a passkey.">
                <SetPasswordByEmail email/>
            </Card>
        }.into_any()
        },
    )
}

/// The Authentication page's password card: what the password is for, or
/// that the account has none and how to set one.
#[component]
pub fn PasswordSignInCard() -> impl IntoView {
    by_password(
        || {
            view! {
            <Card id="sign-in-password" title="Password"
                description="Your email address and password sign you in; with two-factor authentication on, a code follows.">
                <p class="text-sm text-slate-600 dark:text-slate-300">
                    "Use at least 12 characters, and a password you use nowhere else. "
                    <a href="/settings/security#password" class=LINK>"Change your password"</a>
                    " on the Security page."
                </p>
            </Card>
        }.into_any()
        },
        |email| {
            view! {
            <Card id="sign-in-password" title="Password" badge="Not set"
                description="Your account has no password: you sign in with the connected accounts, single sign-on or passkeys above.">
                <SetPasswordByEmail email/>
            </Card>
        }.into_any()
        },
    )
}

/// Why a password helps and the link that emails one to set it: the
/// reset page with the account's address filled in.
#[component]
fn SetPasswordByEmail(email: String) -> impl IntoView {
    let href = format!("/forgot-password?email={}", encode_query_component(&email));
    view! {
        <div class="max-w-xl space-y-4" data-testid="set-password-by-email">
            <p class="text-sm text-slate-600 dark:text-slate-300">
                "A password lets you sign in when your provider is down or the account there is gone, and confirm sensitive changes without a passkey. We email a link to "
                <strong class="font-medium text-slate-900 dark:text-white">{email}</strong>
                " to set it; it works once, for 30 minutes."
            </p>
            <a href=href class="inline-flex items-center rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                "Email me a link to set a password"
            </a>
        </div>
    }
}

/// Change password: asks for the current one, signs out every other session.
#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = last_error(action);
    let succeeded = last_succeeded(action);
    let password = RwSignal::new(String::new());
    let form_ref = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(())))) {
            if let Some(form) = form_ref.get() {
                form.reset();
            }
            password.set(String::new());
        }
    });
    view! {
        <ActionForm action=action node_ref=form_ref attr:class="max-w-md space-y-5" attr:novalidate="">
            {move || succeeded.get().then(|| view! {
                <Alert tone=Tone::Success>"Password changed. Every other session was signed out."</Alert>
            })}
            {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <Field name="current_password" label="Current password" input_type="password" autocomplete="current-password" maxlength=128
                error=Signal::derive(move || field_error(&error.get(), "current_password"))/>
            <Field name="new_password" label="New password" input_type="password" autocomplete="new-password" maxlength=128
                hint="At least 12 characters; not used elsewhere."
                on_input=Callback::new(move |v| password.set(v))
                error=Signal::derive(move || field_error(&error.get(), "new_password"))/>
            <StrengthMeter password=password evaluate=password_strength/>
            <SubmitButton label="Change password" busy_label="Changing…" pending=action.pending()/>
        </ActionForm>
    }
}
