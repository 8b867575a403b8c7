//! The inline sudo prompt of sensitive actions: the password, and a code
//! from the second factor when the account has one; for an account without
//! a password, a passkey or how to set a password.

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

/// Confirms it's you with a passkey instead: the room runs the ceremony
/// (which opens the session's sudo window) and reports how it went.
#[derive(Clone, Copy)]
pub struct PasskeyProof {
    confirm: Callback<()>,
    outcome: RwSignal<Proof>,
}

/// Where a passkey confirmation stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Proof {
    #[default]
    NotAsked,
    Waiting,
    Confirmed,
    /// What to tell the user (`None`: nothing, e.g. a newer request replaced it).
    Failed(Option<String>),
}

impl PasskeyProof {
    /// A proof that runs `ceremony` when asked and shows its outcome.
    pub fn new<F>(ceremony: impl Fn() -> F + Send + Sync + 'static) -> PasskeyProof
    where
        F: std::future::Future<Output = Result<(), Option<String>>> + 'static,
    {
        let outcome = RwSignal::new(Proof::NotAsked);
        let confirm = Callback::new(move |()| {
            outcome.set(Proof::Waiting);
            let running = ceremony();
            leptos::task::spawn_local(async move {
                outcome.set(match running.await {
                    Ok(()) => Proof::Confirmed,
                    Err(message) => Proof::Failed(message),
                });
            });
        });
        PasskeyProof { confirm, outcome }
    }
}

/// What the sudo prompt asks for besides the password.
#[derive(Clone, Copy)]
pub struct SecondFactorPrompt {
    /// Whether the account has a password to ask for; without one (an
    /// account made from a sign-in provider) the prompt says how to set one.
    pub password: bool,
    /// The code field's label, e.g. "Code from your authenticator app";
    /// `None` when 2FA is off (the password alone, or a passkey).
    pub code_label: Option<&'static str>,
    /// Under the code field, e.g. "A backup code works too."
    pub code_hint: Option<&'static str>,
    /// Offers "Text me a code" when the code comes by text message.
    pub send_code: Option<CodeSender>,
    /// Offers "Use a passkey instead" when the account has one.
    pub passkey: Option<PasskeyProof>,
}

/// The inline sudo prompt inside a sensitive action's form: the password,
/// a second-factor code when the account has 2FA, or a passkey instead of
/// both. Once a passkey confirmed it, the fields go and the form sends
/// neither: the session's sudo window is open.
#[component]
pub fn SudoFields(
    id: &'static str,
    second_factor: Option<SecondFactorPrompt>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let passkey = second_factor.and_then(|prompt| prompt.passkey);
    let confirmed = move || passkey.is_some_and(|proof| proof.outcome.get() == Proof::Confirmed);
    view! {
        <fieldset class="space-y-3 rounded-lg border border-amber-200 bg-amber-50 p-3 dark:border-amber-900/60 dark:bg-amber-950/30">
            <legend class="px-1 text-xs font-semibold uppercase tracking-wide text-amber-800 dark:text-amber-200">"Confirm it's you"</legend>
            <Show when=move || !confirmed() fallback=|| view! {
                <p class="flex items-center gap-2 text-sm font-medium text-emerald-800 dark:text-emerald-300" role="status">
                    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" class="h-4 w-4" aria-hidden="true"><path d="M5 12l5 5L20 7"></path></svg>
                    "Confirmed with your passkey."
                </p>
            }>
                <PasswordAndCode id second_factor error/>
            </Show>
            {passkey.map(|proof| view! { <PasskeyButton proof/> })}
        </fieldset>
    }
}

/// The password field, and the code field when 2FA is on; for an account
/// without a password, how to set one (a passkey, if any, is offered below).
#[component]
fn PasswordAndCode(
    id: &'static str,
    second_factor: Option<SecondFactorPrompt>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    if second_factor.is_some_and(|prompt| !prompt.password) {
        let passkey = second_factor.is_some_and(|prompt| prompt.passkey.is_some());
        return view! {
            <p class="text-sm text-slate-700 dark:text-slate-200" data-testid="sudo-no-password">
                "Your account has no password to confirm with"
                {if passkey { ": use one of your passkeys, or set a password. " } else { ". Set one first: " }}
                <a href="/forgot-password" class="font-medium text-indigo-600 underline dark:text-indigo-400">"Forgot your password?"</a>
                " emails you a link to set it."
            </p>
            {move || field_error(&error.get(), "password").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
        }
        .into_any();
    }
    let password_id = format!("{id}-password");
    let code_id = format!("{id}-code");
    view! {
            <div class="space-y-1.5">
                <label for=password_id.clone() class=LABEL>"Password"</label>
                <input id=password_id name="password" type="password" autocomplete="current-password" required maxlength="128" class=INPUT/>
                {move || field_error(&error.get(), "password").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
            </div>
            {second_factor.and_then(|prompt| prompt.code_label.map(|code_label| (prompt, code_label))).map(|(prompt, code_label)| {
                let code_id = code_id.clone();
                view! {
                    <div class="space-y-1.5">
                        <label for=code_id.clone() class=LABEL>{code_label}</label>
                        <input id=code_id name="code" type="text" autocomplete="one-time-code" required maxlength="32"
                            spellcheck="false" autocapitalize="off" class=format!("{INPUT} font-mono tracking-widest")/>
                        {prompt.code_hint.map(|hint| view! { <p class="text-xs text-slate-500 dark:text-slate-400">{hint}</p> })}
                        {prompt.send_code.map(|sender| view! { <SendCodeButton sender/> })}
                        {move || field_error(&error.get(), "code").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                    </div>
                }
            })}
    }
    .into_any()
}

/// "Use a passkey instead", shown once the browser can (it needs the Wasm).
#[component]
fn PasskeyButton(proof: PasskeyProof) -> impl IntoView {
    let supported = RwSignal::new(false);
    Effect::new(move |_| supported.set(super::webauthn::supported()));
    let outcome = proof.outcome;
    view! {
        <Show when=move || supported.get() && outcome.get() != Proof::Confirmed>
            <div class="space-y-1.5 border-t border-amber-200 pt-3 dark:border-amber-900/60">
                <button type="button" class=BUTTON_SECONDARY disabled=move || outcome.get() == Proof::Waiting
                    on:click=move |_| proof.confirm.run(())>
                    {move || if outcome.get() == Proof::Waiting { "Waiting for your passkey…" } else { "Use a passkey instead" }}
                </button>
                {move || match outcome.get() {
                    Proof::Failed(Some(message)) => Some(view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{message}</p> }),
                    _ => None,
                }}
            </div>
        </Show>
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
