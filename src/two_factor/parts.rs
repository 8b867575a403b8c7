//! Pieces of the two-factor screens: the code field, the inline sudo prompt,
//! the backup-code reveal, the copy button and the stepper.

use super::Method;
use super::api::SendSudoSms;
use crate::error::AppError;
use crate::ui::field_error;
use crate::ui::time::countdown;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-950 dark:text-white";
pub const BUTTON_SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
pub const BUTTON_DANGER: &str = "inline-flex items-center justify-center rounded-lg bg-red-600 px-3 py-2 text-sm font-semibold text-white hover:bg-red-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:opacity-60";
pub const LABEL: &str = "block text-sm font-medium text-slate-700 dark:text-slate-200";
pub const SUMMARY: &str = "inline-flex cursor-pointer list-none items-center rounded-lg border border-slate-300 px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800 [&::-webkit-details-marker]:hidden";

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

/// The inline sudo prompt inside a sensitive action's form: the password,
/// and a second-factor code when 2FA is on (with "Text me a code" for SMS).
#[component]
pub fn SudoFields(
    id: &'static str,
    factor: Option<Method>,
    send_sms: ServerAction<SendSudoSms>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let password_id = format!("{id}-password");
    let code_id = format!("{id}-code");
    let sent = Signal::derive(move || matches!(send_sms.value().get(), Some(Ok(()))));
    view! {
        <fieldset class="space-y-3 rounded-lg border border-amber-200 bg-amber-50 p-3 dark:border-amber-900/60 dark:bg-amber-950/30">
            <legend class="px-1 text-xs font-semibold uppercase tracking-wide text-amber-800 dark:text-amber-200">"Confirm it's you"</legend>
            <div class="space-y-1.5">
                <label for=password_id.clone() class=LABEL>"Password"</label>
                <input id=password_id name="password" type="password" autocomplete="current-password" required maxlength="128" class=INPUT/>
                {move || field_error(&error.get(), "password").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            {factor.map(|factor| {
                let code_id = code_id.clone();
                let label = match factor {
                    Method::Totp => "Code from your authenticator app",
                    Method::Sms => "Code from the text message",
                };
                view! {
                    <div class="space-y-1.5">
                        <label for=code_id.clone() class=LABEL>{label}</label>
                        <input id=code_id name="code" type="text" autocomplete="one-time-code" required maxlength="32"
                            spellcheck="false" autocapitalize="off" class=format!("{INPUT} font-mono tracking-widest")/>
                        <p class="text-xs text-slate-500 dark:text-slate-400">"A backup code works too."</p>
                        {(factor == Method::Sms).then(|| view! {
                            <button type="button" class=BUTTON_SECONDARY disabled=move || send_sms.pending().get()
                                on:click=move |_| { send_sms.dispatch(SendSudoSms {}); }>
                                {move || if sent.get() { "Text me another code" } else { "Text me a code" }}
                            </button>
                            {move || match send_sms.value().get() {
                                Some(Ok(())) => Some(view! { <p class="text-xs text-emerald-700 dark:text-emerald-400">"Code sent."</p> }.into_any()),
                                Some(Err(e)) => Some(view! { <p class="text-xs text-red-600 dark:text-red-400">{e.to_string()}</p> }.into_any()),
                                None => None,
                            }}
                        })}
                        {move || field_error(&error.get(), "code").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                    </div>
                }
            })}
        </fieldset>
    }
}

/// Copies `text` to the clipboard; where the Clipboard API is missing it
/// selects the element `select_id` so the user can copy by hand.
#[component]
pub fn CopyButton(
    text: String,
    select_id: &'static str,
    #[prop(default = "Copy")] label: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            copy_or_select(&text, select_id);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, select_id);
        }
    };
    view! {
        <button type="button" class=BUTTON_SECONDARY on:click=on_click aria-live="polite">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" class="h-4 w-4" aria-hidden="true"><path d="M9 9h10v11H9zM5 15V4h10"></path></svg>
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn copy_or_select(text: &str, select_id: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let clipboard = window.navigator().clipboard();
    // In an insecure context the property is undefined and calling it throws.
    if wasm_bindgen::JsValue::from(clipboard.clone()).is_undefined() {
        if let (Some(document), Ok(Some(selection))) = (window.document(), window.get_selection())
            && let Some(element) = document.get_element_by_id(select_id)
        {
            let _ = selection.select_all_children(&element);
        }
        return;
    }
    let _ = clipboard.write_text(text);
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
        crate::ui::encode_query_component(&file)
    );
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <div id="backup-codes" class="space-y-4" data-testid="backup-codes">
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
                <button type="button" on:click=move |_| on_done.run(())
                    class="inline-flex items-center rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "I have saved my codes"
                </button>
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
