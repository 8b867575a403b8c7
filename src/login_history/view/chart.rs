//! Events per day as an inline SVG bar chart: successes and failures stacked,
//! failures in red so a spike of failed attempts stands out.

use crate::login_history::DayBucket;
use crate::time::{DAY_MS, iso_date};
use leptos::prelude::*;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;

/// The bar chart of `buckets` (one per day).
#[component]
pub fn EventsChart(buckets: Vec<DayBucket>) -> impl IntoView {
    let peak = buckets
        .iter()
        .map(|b| b.successes + b.failures)
        .max()
        .unwrap_or(0)
        .max(1);
    let total_failures: i64 = buckets.iter().map(|b| b.failures).sum();
    let total: i64 = buckets.iter().map(|b| b.successes + b.failures).sum();
    let count = buckets.len().max(1) as f64;
    let slot = WIDTH / count;
    let bar = (slot * 0.7).max(1.0);
    let first = buckets
        .first()
        .map(|b| iso_date(b.day * DAY_MS))
        .unwrap_or_default();
    let last = buckets
        .last()
        .map(|b| iso_date(b.day * DAY_MS))
        .unwrap_or_default();
    let summary = format!(
        "{total} events from {first} to {last}, {total_failures} of them failures; the busiest day had {peak}."
    );
    let bars = buckets
        .into_iter()
        .enumerate()
        .filter(|(_, b)| b.successes + b.failures > 0)
        .map(|(index, b)| {
            let x = index as f64 * slot + (slot - bar) / 2.0;
            let scale = |n: i64| n as f64 / peak as f64 * HEIGHT;
            let (ok_h, fail_h) = (scale(b.successes), scale(b.failures));
            let title = format!(
                "{}: {} succeeded, {} failed",
                iso_date(b.day * DAY_MS),
                b.successes,
                b.failures
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect x=format!("{x:.2}") y=format!("{:.2}", HEIGHT - ok_h) width=format!("{bar:.2}") height=format!("{ok_h:.2}")
                        class="fill-indigo-500 dark:fill-indigo-400"></rect>
                    <rect x=format!("{x:.2}") y=format!("{:.2}", HEIGHT - ok_h - fail_h) width=format!("{bar:.2}") height=format!("{fail_h:.2}")
                        class="fill-red-500 dark:fill-red-400" data-failures=b.failures></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="space-y-2" data-testid="history-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary.clone()
                class="h-28 w-full rounded-lg bg-slate-50 dark:bg-slate-800/60">
                {bars}
            </svg>
            <figcaption class="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-500 dark:text-slate-400">
                <span>{first}</span>
                <span class="flex items-center gap-3">
                    <span class="inline-flex items-center gap-1"><span class="h-2.5 w-2.5 rounded-sm bg-indigo-500"></span>"Succeeded"</span>
                    <span class="inline-flex items-center gap-1"><span class="h-2.5 w-2.5 rounded-sm bg-red-500"></span>"Failed"</span>
                    <span>{format!("peak {peak}/day")}</span>
                </span>
                <span>{last}</span>
            </figcaption>
        </figure>
    }
}
