//! The one-time reveal of a new key's token: copy it, then the panel closes
//! itself after a countdown that pauses while the user is using the panel.
//! The token lives only in this browser tab's memory; nothing re-renders it.

use crate::api_keys::IssuedKey;
use crate::ui::style::BUTTON_SECONDARY;
use crate::ui::{CopyButton, focus_soon};
use leptos::prelude::*;

/// Seconds the panel stays open while nobody touches it.
pub const REVEAL_SECONDS: i64 = 120;

/// The new token in a panel with a copy button and an auto-hide countdown.
/// `rotated` words it for a rotation; `on_close` is called when it closes.
#[component]
pub fn RevealPanel(issued: IssuedKey, rotated: bool, on_close: Callback<()>) -> impl IntoView {
    let (left, paused) = pausable_countdown(REVEAL_SECONDS, on_close);
    // The panel takes focus as it appears (which also holds its countdown).
    Effect::new(move |_| focus_soon("key-reveal", false));
    let IssuedKey { key, token } = issued;
    let heading = if rotated {
        format!("New secret for “{}”", key.name)
    } else {
        format!("Your new key “{}”", key.name)
    };
    let grace_note = (rotated && key.previous_prefix.is_some()).then(|| {
        view! {
            <p class="text-sm text-slate-700 dark:text-slate-200">
                "The old secret keeps working until "
                {key.previous_valid_until.map(crate::time::utc_datetime)}
                ". Update your clients before then."
            </p>
        }
    });
    view! {
        <section
            id="key-reveal"
            tabindex="-1"
            aria-labelledby="reveal-title"
            data-testid="key-reveal"
            class="space-y-3 rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5 shadow-sm dark:border-emerald-800 dark:bg-emerald-950/40"
            on:mouseenter=move |_| paused.set(true)
            on:mouseleave=move |_| paused.set(false)
            on:focusin=move |_| paused.set(true)
            on:focusout=move |_| paused.set(false)
        >
            <div class="flex flex-wrap items-start justify-between gap-2">
                <h2 id="reveal-title" class="text-base font-semibold text-emerald-900 dark:text-emerald-100">{heading}</h2>
                <span class="rounded-full bg-emerald-100 px-2.5 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/60 dark:text-emerald-200">
                    {key.permission.label()}
                </span>
            </div>
            <p class="text-sm font-medium text-emerald-900 dark:text-emerald-100" role="status">
                "Shown once — store it securely. You will not see this key again."
            </p>
            <div class="flex flex-col gap-2 sm:flex-row sm:items-center">
                <code id="new-key-token" data-testid="new-key-token"
                    class="block min-w-0 flex-1 select-all break-all rounded-lg border border-emerald-200 bg-white px-3 py-2 font-mono text-sm text-slate-900 dark:border-emerald-900 dark:bg-slate-950 dark:text-slate-100">
                    {token.clone()}
                </code>
                <CopyButton text=token select_id="new-key-token" label="Copy key"/>
            </div>
            {grace_note}
            <div class="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600 dark:text-slate-300">
                <p data-testid="reveal-countdown" aria-live="off">
                    {move || if paused.get() {
                        format!("Paused while you use this panel · closes {}s after you leave it", left.get())
                    } else {
                        format!("This panel closes in {}s", left.get())
                    }}
                </p>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_close.run(())>
                    "I've stored it, close"
                </button>
            </div>
        </section>
    }
}

/// Seconds left of `total`, counted from the clock (so a throttled tab stays
/// right) only while not paused; calls `on_done` once at zero.
fn pausable_countdown(total: i64, on_done: Callback<()>) -> (RwSignal<i64>, RwSignal<bool>) {
    let left = RwSignal::new(total);
    let paused = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        use crate::time::now_ms;
        let mut last = now_ms();
        let mut running_ms = 0i64;
        let mut done = false;
        let interval = gloo_timers::callback::Interval::new(250, move || {
            let now = now_ms();
            if !paused.get_untracked() {
                running_ms += now - last;
            }
            last = now;
            let remaining = (total - running_ms / 1000).max(0);
            if remaining != left.get_untracked() {
                left.set(remaining);
            }
            if remaining == 0 && !done {
                done = true;
                // Outside this callback: closing drops the interval running it.
                set_timeout(move || on_done.run(()), std::time::Duration::ZERO);
            }
        });
        let interval = send_wrapper::SendWrapper::new(interval);
        on_cleanup(move || drop(interval));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on_done;
    (left, paused)
}
