//! The sign-in page's passkey: a "Use a passkey" button, and the
//! passkey offered in the email field's autofill where the browser can
//! (conditional mediation). Either signs in fully: a passkey is two factors.

use crate::account::safe_next_path;
use crate::passkeys::Ceremony;
use crate::passkeys::api::{finish_passkey_sign_in, start_passkey_sign_in};
use crate::ui::webauthn::{self as browser, Abort, explain, go_to};
use crate::ui::{Alert, Tone};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// "Use a passkey", under the password form.
#[component]
pub fn PasskeySignIn() -> impl IntoView {
    let query = use_query_map();
    let next = move || safe_next_path(&query.with_untracked(|q| q.get("next")).unwrap_or_default());
    let supported = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // The autofill request waiting in the email field, given up when the
    // button asks instead (a browser runs one request at a time).
    let waiting = StoredValue::new(None::<Abort>);
    let finish = move |handle: String, answer: String| async move {
        pending.set(true);
        match finish_passkey_sign_in(handle, answer, Some(next())).await {
            Ok(()) => go_to(&next()),
            Err(refused) => {
                pending.set(false);
                error.set(Some(explain(refused)));
            }
        }
    };
    Effect::new(move |_| {
        supported.set(browser::supported());
        leptos::task::spawn_local(async move {
            if !browser::conditional_mediation_available().await {
                return;
            }
            let Some(abort) = Abort::new() else {
                return;
            };
            waiting.set_value(Some(abort.clone()));
            let Ok(ceremony) = start_passkey_sign_in().await else {
                return;
            };
            // Dismissed or given up for the button: nothing to say.
            if let Ok(answer) = browser::get(&ceremony.options, Some(&abort)).await {
                finish(ceremony.handle, answer).await;
            }
        });
    });
    let sign_in = move |_| {
        if let Some(abort) = waiting.get_value() {
            abort.abort();
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let start = async { start_passkey_sign_in().await.map(Ceremony::into_parts) };
            let signed_in = browser::ask_for_passkey(start, |handle, answer| {
                finish_passkey_sign_in(handle, answer, Some(next()))
            })
            .await;
            match signed_in {
                Ok(()) => go_to(&next()),
                Err(message) => {
                    pending.set(false);
                    error.set(message);
                }
            }
        });
    };
    view! {
        <div class="mt-6 space-y-4" data-testid="passkey-sign-in">
            <div class="flex items-center gap-3 text-xs uppercase tracking-wider text-slate-500 dark:text-slate-400" aria-hidden="true">
                <span class="h-px flex-1 bg-slate-200 dark:bg-slate-800"></span>"or"<span class="h-px flex-1 bg-slate-200 dark:bg-slate-800"></span>
            </div>
            {move || error.get().map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            <button type="button" on:click=sign_in disabled=move || pending.get() || !supported.get()
                class="inline-flex w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800">
                <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" class="h-5 w-5" aria-hidden="true">
                    <path d="M9 11a3.5 3.5 0 100-7 3.5 3.5 0 000 7zM3 20c0-3.3 2.7-6 6-6 1.2 0 2.3.3 3.2.9M17 11a2.5 2.5 0 110 5 2.5 2.5 0 010-5zm0 5v5m0-2h2"></path>
                </svg>
                {move || if pending.get() { "Waiting for your passkey…" } else { "Use a passkey" }}
            </button>
        </div>
    }
}
