//! The live password-strength meter of every form that sets a password.

use crate::error::AppError;
use leptos::prelude::*;
use std::future::Future;

/// A verdict on a candidate password, as the meter shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeterReading {
    /// 0 (trivial) to 4 (very strong).
    pub score: u8,
    /// Whether the form would accept it.
    pub acceptable: bool,
    /// The first rule it breaks, as a sentence.
    pub problem: Option<String>,
    pub suggestions: Vec<String>,
}

/// Shows the server's verdict on the password as the user types: `evaluate`
/// (the password, and the email and name typed so far) is called once typing
/// pauses (debounced with gloo-timers), and stale answers are dropped.
#[component]
pub fn StrengthMeter<F, Fut, R>(
    password: RwSignal<String>,
    #[prop(optional)] email: Option<RwSignal<String>>,
    #[prop(optional)] name: Option<RwSignal<String>>,
    evaluate: F,
) -> impl IntoView
where
    F: Fn(String, Option<String>, Option<String>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, AppError>> + 'static,
    R: Into<MeterReading> + 'static,
{
    let report = RwSignal::new(None::<MeterReading>);
    let failed = RwSignal::new(None::<String>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let candidate = password.get();
        let email = email.map(|s| s.get());
        let name = name.map(|s| s.get());
        generation.update_value(|g| *g += 1);
        let this_generation = generation.get_value();
        if candidate.is_empty() {
            report.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(350).await;
            // `None` once the form is gone (the person signed up and moved
            // on): reading it then would panic and leave the next page dead.
            if generation.try_get_value() != Some(this_generation) {
                return;
            }
            let answer = evaluate(candidate, email, name).await;
            if generation.try_get_value() != Some(this_generation) {
                return;
            }
            match answer {
                Ok(verdict) => {
                    failed.set(None);
                    report.set(Some(verdict.into()));
                }
                Err(error) => failed.set(Some(error.to_string())),
            }
        });
    });
    let segments = move || {
        let score = report.get().map(|r| r.score).unwrap_or(0);
        let acceptable = report.get().is_some_and(|r| r.acceptable);
        (0..4u8)
            .map(|i| {
                let lit = report.get().is_some() && i < score.max(1);
                let colour = match (lit, acceptable, score) {
                    (false, _, _) => "bg-slate-200 dark:bg-slate-700",
                    (true, true, 4) => "bg-emerald-500",
                    (true, true, _) => "bg-lime-500",
                    (true, false, 2) => "bg-amber-500",
                    (true, false, _) => "bg-red-500",
                };
                view! { <span class=format!("h-1.5 flex-1 rounded-full {colour}")></span> }
            })
            .collect_view()
    };
    let verdict_text = move || match report.get() {
        None => None,
        Some(r) if r.acceptable => Some((
            "text-emerald-700 dark:text-emerald-400",
            if r.score == 4 {
                "Strong password."
            } else {
                "Good password."
            }
            .to_string(),
        )),
        Some(r) => Some((
            "text-red-700 dark:text-red-400",
            r.problem.unwrap_or_else(|| "Too weak.".into()),
        )),
    };
    view! {
        <div class="space-y-1.5" aria-live="polite" data-testid="strength-meter">
            <div class="flex gap-1.5" aria-hidden="true">{segments}</div>
            {move || verdict_text().map(|(class, text)| view! { <p class=format!("text-sm {class}")>{text}</p> })}
            {move || report.get().map(|r| r.suggestions.into_iter().take(2).map(|s| view! {
                <p class="text-xs text-slate-500 dark:text-slate-400">{s}</p>
            }).collect_view())}
            {move || failed.get().map(|message| view! { <p class="text-xs text-slate-500">{message}</p> })}
        </div>
    }
}
