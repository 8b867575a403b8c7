//! Times that move by themselves in the browser: "5 minutes ago" that keeps
//! itself current, and countdowns (gloo-timers).

use crate::time::{iso_datetime, now_ms, relative_phrase, utc_datetime};
use leptos::prelude::*;

/// A relative time that refreshes itself every 5 seconds in the browser;
/// hovering shows the exact UTC time, which screen readers read after it.
#[component]
pub fn RelativeTime(#[prop(into)] at: i64) -> impl IntoView {
    let now = RwSignal::new(now_ms());
    #[cfg(feature = "hydrate")]
    {
        let interval = gloo_timers::callback::Interval::new(5_000, move || now.set(now_ms()));
        let interval = send_wrapper_interval(interval);
        on_cleanup(move || drop(interval));
        // The server's clock rendered the first text; correct it to ours.
        request_animation_frame(move || now.set(now_ms()));
    }
    let exact = utc_datetime(at);
    view! {
        <time datetime=iso_datetime(at) title=exact.clone() class="underline decoration-dotted underline-offset-2 cursor-help">
            {move || relative_phrase(at, now.get())}
            <span class="sr-only">{format!(" ({exact})")}</span>
        </time>
    }
}

/// Seconds left of `initial`, counting down once a second in the browser
/// (gloo-timers); the server renders the starting value.
pub fn countdown(initial: i64) -> RwSignal<i64> {
    let left = RwSignal::new(initial.max(0));
    #[cfg(feature = "hydrate")]
    {
        let started = now_ms();
        let interval = gloo_timers::callback::Interval::new(1_000, move || {
            // From the clock, not by decrementing: a throttled tab stays right.
            let elapsed = (now_ms() - started) / 1000;
            left.set((initial - elapsed).max(0));
        });
        let interval = send_wrapper_interval(interval);
        on_cleanup(move || drop(interval));
    }
    left
}

#[cfg(feature = "hydrate")]
fn send_wrapper_interval(
    interval: gloo_timers::callback::Interval,
) -> send_wrapper::SendWrapper<gloo_timers::callback::Interval> {
    send_wrapper::SendWrapper::new(interval)
}
