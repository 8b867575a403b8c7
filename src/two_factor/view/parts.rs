//! Pieces of the two-factor screens: the code field, the backup-code reveal,
//! the stepper, the resend button, and where focus goes after an action.

use crate::ids::encode_query_component;
use crate::two_factor::Method;
use crate::ui::style::{BUTTON_SECONDARY, INPUT, LABEL};
use crate::ui::time::countdown;
use crate::ui::{CopyButton, announcer, focus_on_mount};
use leptos::prelude::*;

/// A one-time-code input: six digits from an app or SMS (or a backup code).
#[component]
pub fn CodeField(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] allow_backup: bool,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = format!("{hint_id} {error_id}");
    let (max, mode) = if allow_backup {
        (32, "text")
    } else {
        (7, "numeric")
    };
    view! {
        <div class="space-y-1.5">
            <label for=id class=LABEL>{label}</label>
            <input id=id name="code" type="text" inputmode=mode autocomplete="one-time-code" required
                maxlength=max.to_string() spellcheck="false" autocapitalize="off"
                placeholder=if allow_backup { "123456" } else { "123 456" }
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class=format!("{INPUT} max-w-56 font-mono text-lg tracking-widest")/>
            {hint.map(|text| view! { <p id=hint_id class="text-xs text-slate-500 dark:text-slate-400">{text}</p> })}
            {move || error.get().map(|message| view! {
                <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400" role="alert">{message}</p>
            })}
        </div>
    }
}

/// The one-time list of backup codes with copy, download and print.
#[component]
pub fn BackupCodesPanel(codes: Vec<String>, on_done: Callback<()>) -> impl IntoView {
    let all = codes.join("\n");
    let file = format!(
        "StatusStack backup codes\nEach code works once. Keep them somewhere safe, like a password manager.\n\n{all}\n"
    );
    let href = format!(
        "data:text/plain;charset=utf-8,{}",
        encode_query_component(&file)
    );
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        // The mark keeps the page that shows the codes from being compressed (BREACH).
        <div id="backup-codes" class="space-y-4" data-testid="backup-codes" data-one-time-secret="">
            <div class="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100" role="status">
                <p class="font-semibold">"Save these backup codes now. You will not see them again."</p>
                <p class="mt-1">"If you lose your phone, each code signs you in once. Store them in your password manager or print them."</p>
            </div>
            <ol id="backup-code-list" class="grid grid-cols-1 gap-2 rounded-lg bg-slate-50 p-4 font-mono text-base text-slate-900 sm:grid-cols-2 dark:bg-slate-950 dark:text-slate-100">
                {codes.into_iter().map(|code| view! { <li data-testid="backup-code" class="tracking-wider">{code}</li> }).collect_view()}
            </ol>
            <div class="flex flex-wrap gap-2 print:hidden">
                <CopyButton text=all select_id="backup-code-list" label="Copy all"/>
                <a href=href download="statusstack-backup-codes.txt" class=BUTTON_SECONDARY>"Download .txt"</a>
                <button type="button" class=BUTTON_SECONDARY on:click=print>"Print"</button>
                // A link, so that without the Wasm it reloads the page, which
                // then shows the codes no more.
                <a href="/settings/security" data-testid="codes-saved"
                    on:click=move |event| {
                        event.prevent_default();
                        on_done.run(());
                    }
                    class="inline-flex items-center rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "I have saved my codes"
                </a>
            </div>
        </div>
    }
}

/// The set-up stepper's progress: choose → scan/enter number → verify → save codes.
#[component]
pub fn Steps(current: usize, method: Option<Method>) -> impl IntoView {
    let second = match method {
        Some(Method::Sms) => "Enter number",
        _ => "Scan QR code",
    };
    let steps = ["Choose method", second, "Verify", "Save backup codes"];
    view! {
        <ol class="mb-5 grid grid-cols-2 gap-2 text-xs sm:grid-cols-4" aria-label="Set-up progress">
            {steps.into_iter().enumerate().map(|(index, name)| {
                let number = index + 1;
                let (state, class) = if number < current {
                    ("complete", "border-indigo-600 text-indigo-700 dark:border-indigo-400 dark:text-indigo-300")
                } else if number == current {
                    ("current", "border-indigo-600 font-semibold text-slate-900 dark:border-indigo-400 dark:text-white")
                } else {
                    ("upcoming", "border-slate-200 text-slate-500 dark:border-slate-700 dark:text-slate-400")
                };
                view! {
                    <li class=format!("border-t-4 pt-2 {class}") aria-current=(number == current).then_some("step") data-state=state>
                        <span class="block">{format!("Step {number}")}</span>
                        <span class="block">{name}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// "Resend in 42 s" until the countdown ends, then the resend button.
#[component]
pub fn ResendButton(
    wait_secs: i64,
    #[prop(into)] pending: Signal<bool>,
    on_resend: Callback<()>,
    #[prop(default = "Send a new code")] label: &'static str,
) -> impl IntoView {
    let left = countdown(wait_secs);
    let disabled = move || left.get() > 0 || pending.get();
    let resend = move |_| on_resend.run(());
    view! {
        <button type="button" class=BUTTON_SECONDARY data-testid="resend" disabled=disabled on:click=resend>
            {move || match left.get() {
                0 => label.to_string(),
                secs => format!("Resend in {secs} s"),
            }}
        </button>
    }
}

/// What an action's result put on screen, to take focus (and be announced)
/// when it appears: the section re-renders after every action.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Methods,
    Verify,
    Code,
    Codes,
    Enabled,
}

/// The latest arrival, and whether it is still to be announced.
pub type After = RwSignal<Option<(Arrival, bool)>>;

/// In a view that just appeared: when `after` is `arrival`, moves focus to
/// `id` (if focus was lost) and announces `sentence`, once.
pub fn arrive(after: After, arrival: Arrival, id: &'static str, sentence: impl Into<String>) {
    if let Some((current, announce)) = after.get_untracked()
        && current == arrival
    {
        focus_on_mount(id);
        if announce {
            after.set(Some((arrival, false)));
            announcer().say(sentence);
        }
    }
}
