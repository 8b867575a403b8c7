//! Settings → Authentication → Passkeys: add one (sudo mode, then the
//! browser's own dialog), the list with how each is kept and when it was
//! last used, rename, remove. And the sign-in page's passkey button.

pub mod offer;
pub mod sign_in;

use super::api::{
    RemovePasskey, RenamePasskey, finish_passkey_registration, list_passkeys,
    start_passkey_registration,
};
use super::{NAME_MAX_CHARS, PasskeyInfo, PasskeysOverview};
use crate::error::AppError;
use crate::two_factor::SudoFactor;
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, INPUT, LABEL, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::webauthn::{self as browser, BrowserRefusal};
use crate::ui::{
    Alert, Card, SudoFields, Tone, action_error, announcer, field_error, focus_soon,
    form_level_error,
};
use leptos::prelude::*;

const BADGE: &str = "rounded-full px-2 py-0.5 text-xs font-medium";
const BADGE_QUIET: &str = "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200";
const BADGE_BAD: &str = "bg-red-100 text-red-800 dark:bg-red-900/40 dark:text-red-200";

/// What adding a passkey came to: the server's refusal, or the browser's.
#[derive(Clone, Debug, PartialEq)]
enum AddFailure {
    Server(AppError),
    Browser(BrowserRefusal),
}

/// The Passkeys card: the add form and the list.
#[component]
pub fn PasskeysSection() -> impl IntoView {
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let added = RwSignal::new(0usize);
    let overview = Resource::new(
        move || (added.get(), rename.version().get(), remove.version().get()),
        |_| list_passkeys(),
    );
    let announce = announcer();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            announce.say("Passkey removed. It can no longer sign in.".to_string());
            focus_soon("passkeys-title", true);
        }
    });
    view! {
        <Card id="passkeys" title="Passkeys"
            description="Sign in with your fingerprint, face or device PIN instead of your password. A passkey works only on this site, so it cannot be phished, and it counts as two factors on its own.">
            <Transition fallback=|| view! { <div class="h-32 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(data) => view! { <PasskeysBody data added rename remove/> }.into_any(),
                        Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn PasskeysBody(
    data: PasskeysOverview,
    added: RwSignal<usize>,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let PasskeysOverview {
        passkeys,
        needs_password,
        sudo_factor,
    } = data;
    let rename_error = action_error(rename);
    let remove_error = action_error(remove);
    let list_error = move || match remove_error.get().or_else(|| rename_error.get()) {
        Some(AppError::NotFound) => Some("That passkey was already removed.".to_string()),
        Some(AppError::Validation { field, .. })
            if matches!(field.as_str(), "password" | "code" | "name") =>
        {
            None
        }
        Some(AppError::Validation { field, message }) if field == "credential" => Some(message),
        other => form_level_error(other),
    };
    let list = if passkeys.is_empty() {
        view! {
            <div class="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center dark:border-slate-700" data-testid="no-passkeys">
                <p class="font-medium text-slate-900 dark:text-white">"No passkeys yet"</p>
                <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">"Add one on each device you sign in from: your laptop, your phone, a security key."</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            {move || list_error().map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="passkey-list">
                {passkeys.into_iter().map(|passkey| view! {
                    <PasskeyRow passkey rename remove needs_password sudo_factor/>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="space-y-5">
            {list}
            <AddPasskey added needs_password sudo_factor/>
        </div>
    }
}

/// "Add a passkey": an optional name, the sudo prompt when the session
/// needs it, then the browser's dialog. Needs the Wasm (WebAuthn is a
/// browser API), so the button waits for it.
#[component]
fn AddPasskey(
    added: RwSignal<usize>,
    needs_password: bool,
    sudo_factor: SudoFactor,
) -> impl IntoView {
    let supported = RwSignal::new(None::<bool>);
    Effect::new(move |_| supported.set(Some(browser::supported())));
    let failure = RwSignal::new(None::<AddFailure>);
    let pending = RwSignal::new(false);
    let form = NodeRef::<leptos::html::Form>::new();
    let announce = announcer();
    let add = move |name: String, password: Option<String>, code: Option<String>| {
        pending.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let outcome = async {
                let ceremony = start_passkey_registration(password, code)
                    .await
                    .map_err(AddFailure::Server)?;
                let answer = browser::create(&ceremony.options)
                    .await
                    .map_err(AddFailure::Browser)?;
                finish_passkey_registration(ceremony.handle, answer, Some(name))
                    .await
                    .map_err(AddFailure::Server)
            }
            .await;
            pending.set(false);
            match outcome {
                Ok(passkey) => {
                    announce.say(format!(
                        "Passkey “{}” added. You can sign in with it now.",
                        passkey.name
                    ));
                    #[cfg(feature = "hydrate")]
                    if let Some(form) = form.get_untracked() {
                        form.reset();
                    }
                    added.update(|n| *n += 1);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if let Some((name, password, code)) = filled_in(form) {
            add(name, password, code);
        }
    };
    let server_error = Signal::derive(move || match failure.get() {
        Some(AddFailure::Server(error)) => Some(error),
        _ => None,
    });
    let message = move || match failure.get() {
        Some(AddFailure::Browser(refusal)) => refusal.message().map(str::to_string),
        Some(AddFailure::Server(error)) => match error {
            AppError::Validation { ref field, .. }
                if matches!(field.as_str(), "password" | "code" | "name") =>
            {
                None
            }
            AppError::Validation { message, .. } => Some(message),
            other => Some(other.to_string()),
        },
        None => None,
    };
    view! {
        <form node_ref=form on:submit=on_submit class="space-y-4 rounded-lg border border-slate-200 p-4 dark:border-slate-800" data-testid="add-passkey-form">
            <p class="font-medium text-slate-900 dark:text-white">"Add a passkey"</p>
            {move || (supported.get() == Some(false)).then(|| view! {
                <Alert tone=Tone::Info>"This browser cannot create passkeys. Use a recent Chrome, Edge, Firefox or Safari."</Alert>
            })}
            {move || message().map(|text| view! { <Alert tone=Tone::Error>{text}</Alert> })}
            <div class="space-y-1.5">
                <label for="passkey-name" class=LABEL>"Name (optional)"</label>
                <input id="passkey-name" name="name" type="text" maxlength=NAME_MAX_CHARS.to_string()
                    placeholder="e.g. Work laptop" autocomplete="off" class=INPUT
                    aria-invalid=move || field_error(&server_error.get(), "name").is_some().then_some("true")/>
                <p class="text-xs text-slate-500 dark:text-slate-400">"Left empty, it is named after your password manager or security key when the device says which it is."</p>
                {move || field_error(&server_error.get(), "name").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            {needs_password.then(|| view! { <SudoFields id="add-passkey" second_factor=sudo_prompt(sudo_factor) error=server_error/> })}
            <div class="flex flex-wrap items-center gap-3">
                <button type="submit" class="inline-flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
                    disabled=move || pending.get() || supported.get() != Some(true)>
                    {move || if pending.get() { "Waiting for your device…" } else { "Add a passkey" }}
                </button>
                <p class="text-xs text-slate-500 dark:text-slate-400">"Your browser asks which device keeps it."</p>
            </div>
            <noscript><p class="text-sm text-amber-800 dark:text-amber-200">"Adding a passkey needs JavaScript: your browser talks to your device for it."</p></noscript>
        </form>
    }
}

/// The add form's name, password and code, as typed.
#[cfg(feature = "hydrate")]
fn filled_in(
    form: NodeRef<leptos::html::Form>,
) -> Option<(String, Option<String>, Option<String>)> {
    let data = leptos::web_sys::FormData::new_with_form(&form.get_untracked()?).ok()?;
    let text = |name: &str| data.get(name).as_string().filter(|value| !value.is_empty());
    Some((
        text("name").unwrap_or_default(),
        text("password"),
        text("code"),
    ))
}

/// The server renders the form; only the browser submits it.
#[cfg(not(feature = "hydrate"))]
fn filled_in(
    _form: NodeRef<leptos::html::Form>,
) -> Option<(String, Option<String>, Option<String>)> {
    None
}

/// One passkey: its name and badges, when it was added and last used, and
/// its rename and remove forms.
#[component]
fn PasskeyRow(
    passkey: PasskeyInfo,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
    needs_password: bool,
    sudo_factor: SudoFactor,
) -> impl IntoView {
    let remove_error = action_error(remove);
    let rename_error = action_error(rename);
    let last_used = match passkey.last_used_at {
        Some(at) => view! {
            "Last used " <RelativeTime at/>
            {passkey.last_used_from.clone().filter(|from| !from.is_empty()).map(|from| format!(" · {from}"))}
        }
        .into_any(),
        None => view! { "Not used yet" }.into_any(),
    };
    let kept = if passkey.backed_up {
        (
            "Synced",
            "Kept by a password manager or your platform account, on all your devices",
        )
    } else {
        ("This device only", "Bound to one device or security key")
    };
    let rename_id = format!("rename-{}", passkey.id);
    let name = passkey.name.clone();
    let (rename_target, remove_target) = (passkey.id.clone(), passkey.id.clone());
    let (current_name, remove_label) = (passkey.name.clone(), format!("Remove {}", passkey.name));
    view! {
        <li class="flex flex-wrap items-start gap-x-4 gap-y-3 py-4 sm:flex-nowrap" data-testid="passkey-row">
            <div class="min-w-0 basis-full sm:basis-auto sm:flex-1">
                <p class="flex flex-wrap items-center gap-2 font-medium text-slate-900 dark:text-white">
                    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" class="h-5 w-5 text-indigo-600 dark:text-indigo-400" aria-hidden="true">
                        <path d="M9 11a3.5 3.5 0 100-7 3.5 3.5 0 000 7zM3 20c0-3.3 2.7-6 6-6 1.2 0 2.3.3 3.2.9M17 11a2.5 2.5 0 110 5 2.5 2.5 0 010-5zm0 5v5m0-2h2"></path>
                    </svg>
                    <span data-testid="passkey-name">{passkey.name.clone()}</span>
                    <span class=format!("{BADGE} {BADGE_QUIET}") title=kept.1>{kept.0}</span>
                    {passkey.suspected_clone.then(|| view! {
                        <span class=format!("{BADGE} {BADGE_BAD}") title="Its signature counter went backwards: two devices may hold the same key">"Refused: possibly copied"</span>
                    })}
                </p>
                <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                    "Added " <RelativeTime at=passkey.created_at/> " · " <span data-testid="passkey-last-used">{last_used}</span>
                </p>
            </div>
            <div class="flex shrink-0 gap-2">
                <details class="relative">
                    <summary class=SUMMARY aria-label=format!("Rename {name}")>"Rename"</summary>
                    <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                        <ActionForm action=rename attr:class="space-y-3">
                            <input type="hidden" name="passkey_id" value=rename_target/>
                            <label for=rename_id.clone() class=LABEL>"New name"</label>
                            <input id=rename_id name="name" type="text" required maxlength=NAME_MAX_CHARS.to_string()
                                value=current_name class=INPUT/>
                            {move || field_error(&rename_error.get(), "name").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                            <button type="submit" class=BUTTON_SECONDARY disabled=move || rename.pending().get()>"Save name"</button>
                        </ActionForm>
                    </div>
                </details>
                <details class="relative">
                    <summary class=SUMMARY aria-label=remove_label>"Remove"</summary>
                    <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                        <p class="mb-3 text-slate-700 dark:text-slate-200">"Remove this passkey? It stops signing in at once; your password keeps working."</p>
                        <ActionForm action=remove attr:class="space-y-3">
                            <input type="hidden" name="passkey_id" value=remove_target/>
                            {needs_password.then(|| view! { <SudoFields id="remove-passkey" second_factor=sudo_prompt(sudo_factor) error=remove_error/> })}
                            <button type="submit" class=BUTTON_DANGER disabled=move || remove.pending().get()>"Remove passkey"</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        </li>
    }
}
