//! Settings → API Keys: create (with the one-time reveal), list with badges,
//! rotate with a grace period, revoke.

pub mod reveal;

use super::api::{CreateApiKey, RevokeApiKey, RotateApiKey, list_api_keys};
use super::{ApiKeyInfo, ApiKeysOverview, IssuedKey, NAME_MAX_CHARS, Permission, RotationGrace};
use crate::error::AppError;
use crate::time::{iso_date, now_ms, utc_datetime};
use crate::two_factor::SudoFactor;
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, INPUT, LABEL, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::{
    Alert, Card, SubmitButton, SudoFields, Tone, action_error, announcer, field_error, focus_soon,
    form_level_error, hand_focus_on,
};
use leptos::prelude::*;
use reveal::RevealPanel;
use strum::IntoEnumIterator;

const BADGE: &str = "rounded-full px-2 py-0.5 text-xs font-medium";
const BADGE_WARN: &str = "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200";
const BADGE_BAD: &str = "bg-red-100 text-red-800 dark:bg-red-900/40 dark:text-red-200";
const BADGE_INFO: &str = "bg-sky-100 text-sky-800 dark:bg-sky-900/40 dark:text-sky-200";

/// `/settings/api-keys`: best practices, the create form, the one-time
/// reveal and the list of keys.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let rotate = ServerAction::<RotateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let overview = Resource::new(
        move || {
            (
                create.version().get(),
                rotate.version().get(),
                revoke.version().get(),
            )
        },
        |_| list_api_keys(),
    );
    // The token moves out of the action into this signal, and is gone for good
    // when the panel closes.
    let revealed: RwSignal<Option<(IssuedKey, bool)>> = RwSignal::new(None);
    let announce = announcer();
    Effect::new(move |_| {
        if let Some(Ok(issued)) = create.value().get() {
            create.value().set(None);
            announce.say(format!(
                "Key “{}” created. Copy it now: it is shown once.",
                issued.key.name
            ));
            revealed.set(Some((issued, false)));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(issued)) = rotate.value().get() {
            rotate.value().set(None);
            announce.say(format!(
                "New secret for “{}”. Copy it now: it is shown once.",
                issued.key.name
            ));
            revealed.set(Some((issued, true)));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            focus_soon("keys-status", false);
        }
    });
    // Closed by its button, focus goes on to the list; closed by its
    // countdown, it stays wherever the user is.
    let close = Callback::new(move |_| {
        hand_focus_on("key-reveal", "keys-title");
        revealed.set(None);
        focus_soon("keys-title", true);
    });
    view! {
        <crate::ui::PageHeading title="API Keys"
            description="Keys for the StatusStack API (/api/v1). A key's secret is shown once, stored only as a hash, and can be rotated without downtime."/>
        <div class="space-y-6">
            <BestPractices/>
            {move || revealed.get().map(|(issued, rotated)| view! { <RevealPanel issued rotated on_close=close/> })}
            <Card id="create-key" title="Create a key"
                description="Give it a name you will recognise, the least permission that works, and an expiry.">
                <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                    {move || Suspend::new(async move {
                        let (needs_password, factor) = match overview.await {
                            Ok(data) => (data.needs_password, data.sudo_factor),
                            Err(_) => (true, SudoFactor::default()),
                        };
                        view! { <CreateKeyForm create needs_password factor/> }
                    })}
                </Transition>
            </Card>
            <Card id="keys" title="Your keys" description="Revoked keys stop working on their next request.">
                <p id="keys-status" data-testid="keys-status" role="status" tabindex="-1"
                    class="mb-3 text-sm font-medium text-emerald-800 empty:hidden dark:text-emerald-200">
                    {move || matches!(revoke.value().get(), Some(Ok(()))).then_some("Key revoked. Anything using it is refused from its next request.")}
                </p>
                <Transition fallback=|| view! { <div class="h-24 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(data) => view! { <KeyList data rotate revoke/> }.into_any(),
                            Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                        }
                    })}
                </Transition>
            </Card>
        </div>
    }
}

/// The product's advice, as three short rules with the API reference.
#[component]
fn BestPractices() -> impl IntoView {
    let tips = [
        (
            "Use least privilege",
            "Read-only covers dashboards, exports and monitoring.",
        ),
        (
            "Rotate quarterly",
            "Keys older than 90 days are marked “Rotation due”.",
        ),
        (
            "Delete unused keys",
            "Keys idle for 30 days are marked; revoke them.",
        ),
    ];
    view! {
        <ul class="grid gap-3 sm:grid-cols-3" aria-label="Best practices">
            {tips.into_iter().map(|(title, text)| view! {
                <li class="rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm dark:border-slate-800 dark:bg-slate-900">
                    <p class="font-medium text-slate-900 dark:text-white">{title}</p>
                    <p class="mt-0.5 text-slate-500 dark:text-slate-400">{text}</p>
                </li>
            }).collect_view()}
        </ul>
        <p class="text-xs text-slate-500 dark:text-slate-400">
            "Send a key as " <code class="font-mono">"Authorization: Bearer ssk_…"</code> ". Reference: "
            <a href="/api/v1/openapi.json" rel="external" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">"OpenAPI document"</a>
        </p>
    }
}

/// Name, permission, expiry; sudo fields for an Admin key.
#[component]
fn CreateKeyForm(
    create: ServerAction<CreateApiKey>,
    needs_password: bool,
    factor: SudoFactor,
) -> impl IntoView {
    let permission = RwSignal::new(Permission::Read);
    let expiry = RwSignal::new(String::from("90"));
    let error = action_error(create);
    // Without the Wasm the one-time token could not be shown, so the form waits for it.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // A created key empties the form for the next one; a refused one keeps the input.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |previous: Option<usize>| {
        let version = create.version().get();
        if previous.is_some_and(|p| p != version) && error.get_untracked().is_none() {
            permission.set(Permission::Read);
            expiry.set(String::from("90"));
            #[cfg(feature = "hydrate")]
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
        version
    });
    let now = now_ms();
    let day = 24 * 60 * 60 * 1000;
    let (min_date, max_date) = (iso_date(now + day), iso_date(now + 365 * day));
    view! {
        <ActionForm action=create node_ref=form attr:class="space-y-5" attr:data-testid="create-key-form">
            {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <div class="space-y-1.5">
                <label for="key-name" class=LABEL>"Name"</label>
                <input id="key-name" name="name" type="text" required maxlength=NAME_MAX_CHARS.to_string()
                    placeholder="e.g. Grafana dashboard" autocomplete="off" class=INPUT
                    aria-invalid=move || field_error(&error.get(), "name").is_some().then_some("true")/>
                {move || field_error(&error.get(), "name").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            <fieldset class="space-y-2">
                <legend class=LABEL>"Permission"</legend>
                <div class="grid gap-2 sm:grid-cols-3">
                    {Permission::iter().map(|level| view! {
                        <label class="flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50 dark:border-slate-700 dark:has-[:checked]:bg-indigo-950/40">
                            <input type="radio" name="permission" value=level.as_str() checked=level == Permission::Read
                                class="mt-0.5 accent-indigo-600" on:change=move |_| permission.set(level)/>
                            <span>
                                <span class="flex items-center gap-2 font-medium text-slate-900 dark:text-white">
                                    {level.label()}
                                    {(level == Permission::Read).then(|| view! {
                                        <span class=format!("{BADGE} bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200")>"Recommended"</span>
                                    })}
                                </span>
                                <span class="mt-0.5 block text-slate-600 dark:text-slate-300">{level.description()}</span>
                            </span>
                        </label>
                    }).collect_view()}
                </div>
                {move || field_error(&error.get(), "permission").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </fieldset>
            <div class="grid gap-3 sm:grid-cols-2">
                <div class="space-y-1.5">
                    <label for="key-expiry" class=LABEL>"Expires"</label>
                    <select id="key-expiry" name="expiry" class=INPUT on:change=move |ev| expiry.set(event_target_value(&ev))>
                        <option value="30">"In 30 days"</option>
                        <option value="60">"In 60 days"</option>
                        <option value="90" selected>"In 90 days (quarterly)"</option>
                        <option value="custom">"On a date…"</option>
                        <option value="never">"Never"</option>
                    </select>
                </div>
                <Show when=move || expiry.get() == "custom">
                    <div class="space-y-1.5">
                        <label for="key-expires-on" class=LABEL>"Expiry date (UTC)"</label>
                        <input id="key-expires-on" name="expires_on" type="date" required min=min_date.clone() max=max_date.clone() class=INPUT/>
                    </div>
                </Show>
            </div>
            {move || field_error(&error.get(), "expiry").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            <Show when=move || expiry.get() == "never">
                <Alert tone=Tone::Info>"A key that never expires keeps working until you revoke it, even if it leaks. Prefer an expiry and rotate."</Alert>
            </Show>
            <Show when=move || permission.get() == Permission::Admin && needs_password>
                <SudoFields id="create-key" second_factor=sudo_prompt(factor) error/>
            </Show>
            <div class="flex flex-wrap items-center gap-3">
                <SubmitButton label="Create key" busy_label="Creating…" pending=Signal::derive(move || create.pending().get() || !hydrated.get())/>
                <p class="text-xs text-slate-500 dark:text-slate-400">"The key is shown once, right here."</p>
            </div>
        </ActionForm>
    }
}

/// Every key that is not revoked, with its badges and actions.
#[component]
fn KeyList(
    data: ApiKeysOverview,
    rotate: ServerAction<RotateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let rotate_error = action_error(rotate);
    let revoke_error = action_error(revoke);
    let general_error = move || {
        let error = revoke_error.get().or_else(|| rotate_error.get());
        match error {
            Some(AppError::NotFound) => Some("That key was already revoked.".to_string()),
            Some(AppError::Validation { field, .. }) if field == "password" || field == "code" => {
                None
            }
            other => form_level_error(other),
        }
    };
    if data.keys.is_empty() {
        return view! {
            <div class="rounded-lg border border-dashed border-slate-300 px-4 py-8 text-center dark:border-slate-700" data-testid="no-keys">
                <p class="font-medium text-slate-900 dark:text-white">"No API keys yet"</p>
                <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">"Create one above for each integration, so you can revoke one without breaking the others."</p>
            </div>
        }
        .into_any();
    }
    let needs_password = data.needs_password;
    let factor = data.sudo_factor;
    view! {
        {move || general_error().map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
        <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="key-list">
            {data.keys.into_iter().map(|key| view! { <KeyRow key rotate revoke needs_password factor/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn KeyRow(
    key: ApiKeyInfo,
    rotate: ServerAction<RotateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    needs_password: bool,
    factor: SudoFactor,
) -> impl IntoView {
    let expires = match key.expires_at {
        Some(at) if key.expired => view! { <span class="text-red-600 dark:text-red-400">"Expired " <RelativeTime at/></span> }.into_any(),
        Some(at) => view! { "Expires " <RelativeTime at/> }.into_any(),
        None => view! { <span class="text-amber-700 dark:text-amber-300">"Never expires"</span> }.into_any(),
    };
    let last_used = match key.last_used_at {
        Some(at) => view! {
            "Last used " <RelativeTime at/>
            {(!key.last_used_ip.is_empty()).then(|| format!(" from {}", key.last_used_ip))}
            {(!key.last_used_device.is_empty()).then(|| format!(" · {}", key.last_used_device))}
        }
        .into_any(),
        None => view! { "Never used" }.into_any(),
    };
    let grace = key.previous_prefix.clone().map(|prefix| {
        let until = key.previous_valid_until.map(utc_datetime).unwrap_or_default();
        view! {
            <p class="mt-1 text-xs text-sky-800 dark:text-sky-200" data-testid="key-grace">
                "Rotating: the old secret " <code class="font-mono">{format!("ssk_{prefix}…")}</code> " works until " {until}
            </p>
        }
    });
    let rotate_sudo = key.permission == Permission::Admin && needs_password;
    let ask_id: &'static str = "rotate-key";
    let rotate_error = action_error(rotate);
    let name = key.name.clone();
    let key_id = key.id.clone();
    view! {
        <li class="flex flex-wrap items-start gap-x-4 gap-y-3 py-4 sm:flex-nowrap" data-testid="key-row">
            <div class="min-w-0 basis-full sm:basis-auto sm:flex-1">
                <p class="flex flex-wrap items-center gap-2 font-medium text-slate-900 dark:text-white">
                    <span data-testid="key-name">{key.name.clone()}</span>
                    <span class=format!("{BADGE} bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200") data-testid="key-permission">{key.permission.label()}</span>
                    {key.expired.then(|| view! { <span class=format!("{BADGE} {BADGE_BAD}")>"Expired"</span> })}
                    {key.rotation_due.then(|| view! { <span class=format!("{BADGE} {BADGE_WARN}") title="Rotate keys quarterly">"Rotation due"</span> })}
                    {key.unused.then(|| view! { <span class=format!("{BADGE} {BADGE_WARN}") title="Consider revoking it">"Unused for 30+ days"</span> })}
                    {key.previous_prefix.is_some().then(|| view! { <span class=format!("{BADGE} {BADGE_INFO}")>"Rotating"</span> })}
                </p>
                <p class="mt-0.5 font-mono text-sm text-slate-600 dark:text-slate-300" data-testid="key-prefix">{format!("ssk_{}…", key.prefix)}</p>
                <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                    "Created " <RelativeTime at=key.created_at/> " · " {expires} " · " <span data-testid="key-last-used">{last_used}</span>
                </p>
                {grace}
            </div>
            <div class="flex shrink-0 gap-2">
                {(!key.expired).then(|| {
                    let id = key.id.clone();
                    let grace_id = format!("grace-{}", key.id);
                    view! {
                        <details class="relative">
                            <summary class=SUMMARY aria-label=format!("Rotate {name}")>"Rotate"</summary>
                            <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                                <ActionForm action=rotate attr:class="space-y-3">
                                    <input type="hidden" name="key_id" value=id/>
                                    <p class="text-slate-700 dark:text-slate-200">"Issue a new secret for this key. The new one is shown once."</p>
                                    <label for=grace_id.clone() class=LABEL>"The old secret"</label>
                                    <select id=grace_id name="grace" class=INPUT>
                                        {RotationGrace::iter().map(|grace| view! {
                                            <option value=grace.as_str() selected=grace == RotationGrace::OneDay>{grace.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    {rotate_sudo.then(|| view! { <SudoFields id=ask_id second_factor=sudo_prompt(factor) error=rotate_error/> })}
                                    <button type="submit" class=BUTTON_SECONDARY disabled=move || rotate.pending().get()>"Rotate key"</button>
                                </ActionForm>
                            </div>
                        </details>
                    }
                })}
                <details class="relative">
                    <summary class=SUMMARY aria-label=format!("Revoke {}", key.name)>"Revoke"</summary>
                    <div class="mt-2 w-64 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                        <p class="mb-3 text-slate-700 dark:text-slate-200">"Revoke this key? Anything using it stops working on its next request."</p>
                        <ActionForm action=revoke>
                            <input type="hidden" name="key_id" value=key_id/>
                            <button type="submit" class=BUTTON_DANGER disabled=move || revoke.pending().get()>"Revoke key"</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        </li>
    }
}
