//! The one UI kit every room builds its pages from: form fields, alerts,
//! cards, buttons and their classes, page frames, the sudo prompt, the copy
//! button, the strength meter, live times, the live region that announces
//! results, and the no-JavaScript flash. It imports no room and nothing of
//! the server.

pub mod copy;
pub mod flash;
pub mod live;
pub mod page;
pub mod strength;
pub mod style;
pub mod sudo;
pub mod time;
pub mod webauthn;

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

pub use copy::CopyButton;
pub use live::{LiveAnnouncer, announcer, focus_on_mount, focus_soon, hand_focus_on};
pub use page::{AuthFrame, PageHeading};
pub use strength::{MeterReading, StrengthMeter};
pub use sudo::{CodeSender, PasskeyProof, SecondFactorPrompt, SudoFields};

/// The StatusStack mark and name.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <span class="inline-flex items-center gap-2 font-semibold tracking-tight text-slate-900 dark:text-white">
            <svg viewBox="0 0 32 32" class="h-7 w-7" aria-hidden="true">
                <rect width="32" height="32" rx="8" class="fill-indigo-600"></rect>
                <path d="M9 11h14M9 16h10M9 21h6" stroke="white" stroke-width="2.5" stroke-linecap="round"></path>
                <circle cx="23" cy="21" r="2.5" class="fill-emerald-400"></circle>
            </svg>
            <span>"StatusStack"</span>
        </span>
    }
}

/// Kinds of alert, each with its colours.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Error,
    Success,
    Info,
}

/// A message box for a form or page; errors are announced to screen readers.
#[component]
pub fn Alert(tone: Tone, children: Children) -> impl IntoView {
    let (classes, role) = match tone {
        Tone::Error => (
            "border-red-200 bg-red-50 text-red-800 dark:border-red-900/60 dark:bg-red-950/50 dark:text-red-200",
            "alert",
        ),
        Tone::Success => (
            "border-emerald-200 bg-emerald-50 text-emerald-800 dark:border-emerald-900/60 dark:bg-emerald-950/50 dark:text-emerald-200",
            "status",
        ),
        Tone::Info => (
            "border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-700 dark:bg-slate-800/60 dark:text-slate-200",
            "status",
        ),
    };
    view! {
        <div role=role class=format!("rounded-lg border px-4 py-3 text-sm {classes}")>
            {children()}
        </div>
    }
}

/// A labelled input with hint and error text wired up for assistive technology.
#[component]
pub fn Field(
    /// The input's `name`, which is also the server function's argument name.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
    /// The error for this field, if the last submission had one.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Called with the input's text on every keystroke.
    #[prop(optional)]
    on_input: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="space-y-1.5">
            <label for=id.clone() class="block text-sm font-medium text-slate-700 dark:text-slate-200">{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                value=value
                required=required
                maxlength=maxlength.map(|m| m.to_string())
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                on:input=move |ev| {
                    if let Some(callback) = on_input {
                        callback.run(event_target_value(&ev));
                    }
                }
                class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-900 dark:text-white"
            />
            {hint.map(|text| view! { <p id=hint_id class="text-xs text-slate-500 dark:text-slate-400">{text}</p> })}
            {move || error.get().map(|message| view! {
                <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400">{message}</p>
            })}
        </div>
    }
}

/// The primary button of a form; shows `busy_label` while the action runs.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] full_width: bool,
) -> impl IntoView {
    let width = if full_width { "w-full" } else { "" };
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            aria-busy=move || pending.get().then_some("true")
            class=format!("{width} inline-flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-wait disabled:opacity-70")
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// A titled section card.
#[component]
pub fn Card(
    title: &'static str,
    #[prop(optional)] description: Option<&'static str>,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] badge: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let heading_id = id.map(|id| format!("{id}-title"));
    let labelled_by = heading_id.clone();
    view! {
        <section id=id aria-labelledby=labelled_by class="rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <header class="flex flex-wrap items-start justify-between gap-2 border-b border-slate-100 px-5 py-4 sm:px-6 dark:border-slate-800">
                <div>
                    <h2 id=heading_id tabindex=id.map(|_| "-1") class="text-base font-semibold text-slate-900 dark:text-white">{title}</h2>
                    {description.map(|text| view! { <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">{text}</p> })}
                </div>
                {badge.map(|text| view! {
                    <span class="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900/40 dark:text-amber-200">{text}</span>
                })}
            </header>
            <div class="px-5 py-5 sm:px-6">{children()}</div>
        </section>
    }
}

/// The error of the last submission that is not about one field.
pub fn form_level_error(error: Option<AppError>) -> Option<String> {
    match error {
        Some(AppError::Validation { ref field, .. }) if field != "form" => None,
        Some(error) => Some(error.to_string()),
        None => None,
    }
}

/// The last error of any action, whatever it returns on success.
pub fn action_error<A>(action: ServerAction<A>) -> Signal<Option<AppError>>
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Err(error)) => Some(error),
        _ => None,
    })
}

/// The message for `field` from the last submission's error.
pub fn field_error(error: &Option<AppError>, field: &str) -> Option<String> {
    match error {
        Some(AppError::Validation { field: f, message }) if f == field => Some(message.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_split_between_form_and_fields() {
        let field = Some(AppError::validation("email", "Bad email"));
        assert_eq!(field_error(&field, "email").as_deref(), Some("Bad email"));
        assert_eq!(field_error(&field, "password"), None);
        assert_eq!(form_level_error(field), None);
        let general = Some(AppError::InvalidCredentials);
        assert_eq!(
            form_level_error(general).as_deref(),
            Some("Email or password is incorrect.")
        );
        assert_eq!(
            form_level_error(Some(AppError::validation("form", "Malformed"))).as_deref(),
            Some("Malformed")
        );
    }
}
