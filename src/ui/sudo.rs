//! The inline sudo prompt of sensitive actions: the password, and a code
//! from the second factor when the account has one.

use super::field_error;
use super::style::{BUTTON_SECONDARY, INPUT, LABEL};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Sends a one-time code on request (a text message), and what came of it.
#[derive(Clone, Copy)]
pub struct CodeSender {
    send: Callback<()>,
    result: Signal<Option<Result<(), AppError>>>,
    pending: Signal<bool>,
}

impl CodeSender {
    /// A sender that dispatches `input` to the server function behind `action`.
    pub fn new<A>(action: ServerAction<A>, input: A) -> CodeSender
    where
        A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
    {
        CodeSender {
            send: Callback::new(move |()| {
                action.dispatch(input.clone());
            }),
            result: Signal::derive(move || action.value().get()),
            pending: action.pending().into(),
        }
    }
}

/// What the sudo prompt asks for besides the password.
#[derive(Clone, Copy)]
pub struct SecondFactorPrompt {
    /// The code field's label, e.g. "Code from your authenticator app".
    pub code_label: &'static str,
    /// Offers "Text me a code" when the code comes by text message.
    pub send_code: Option<CodeSender>,
}

/// The inline sudo prompt inside a sensitive action's form: the password,
/// and a second-factor code when `second_factor` is set.
#[component]
pub fn SudoFields(
    id: &'static str,
    second_factor: Option<SecondFactorPrompt>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let password_id = format!("{id}-password");
    let code_id = format!("{id}-code");
    view! {
        <fieldset class="space-y-3 rounded-lg border border-amber-200 bg-amber-50 p-3 dark:border-amber-900/60 dark:bg-amber-950/30">
            <legend class="px-1 text-xs font-semibold uppercase tracking-wide text-amber-800 dark:text-amber-200">"Confirm it's you"</legend>
            <div class="space-y-1.5">
                <label for=password_id.clone() class=LABEL>"Password"</label>
                <input id=password_id name="password" type="password" autocomplete="current-password" required maxlength="128" class=INPUT/>
                {move || field_error(&error.get(), "password").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            {second_factor.map(|prompt| {
                let code_id = code_id.clone();
                view! {
                    <div class="space-y-1.5">
                        <label for=code_id.clone() class=LABEL>{prompt.code_label}</label>
                        <input id=code_id name="code" type="text" autocomplete="one-time-code" required maxlength="32"
                            spellcheck="false" autocapitalize="off" class=format!("{INPUT} font-mono tracking-widest")/>
                        <p class="text-xs text-slate-500 dark:text-slate-400">"A backup code works too."</p>
                        {prompt.send_code.map(|sender| view! { <SendCodeButton sender/> })}
                        {move || field_error(&error.get(), "code").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                    </div>
                }
            })}
        </fieldset>
    }
}

/// "Text me a code", then "Text me another code", with what the last send said.
#[component]
fn SendCodeButton(sender: CodeSender) -> impl IntoView {
    let sent = Signal::derive(move || matches!(sender.result.get(), Some(Ok(()))));
    view! {
        <button type="button" class=BUTTON_SECONDARY disabled=move || sender.pending.get()
            on:click=move |_| sender.send.run(())>
            {move || if sent.get() { "Text me another code" } else { "Text me a code" }}
        </button>
        {move || match sender.result.get() {
            Some(Ok(())) => Some(view! { <p class="text-xs text-emerald-700 dark:text-emerald-400">"Code sent."</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="text-xs text-red-600 dark:text-red-400">{e.to_string()}</p> }.into_any()),
            None => None,
        }}
    }
}
