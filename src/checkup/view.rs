//! The security checkup at the top of Settings → Security: the score ring
//! with its grade, what needs attention (each with the link that fixes it)
//! and the checks that passed, folded away.

use super::api::get_security_checkup;
use super::{CheckStatus, CheckupItem, Grade};
use crate::checkup::api::get_org_checkup;
use crate::ui::{Alert, Tone};
use leptos::prelude::*;

/// Lines of an item's affected list shown before "and N more".
const AFFECTED_SHOWN: usize = 5;
/// The ring's circumference: 2π × 34 (its radius in the 80×80 view box).
const RING_LENGTH: f64 = 213.63;

const CARD: &str =
    "rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900";
const FIX_LINK: &str = "inline-flex shrink-0 items-center gap-1.5 self-start rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";

/// The live security checkup: a score out of 100 and its grade, the items
/// that need attention with a link to each fix, and the passed checks in a
/// disclosure. The server computes it from the account on every page load;
/// "Check again" asks once more after fixing something.
/// With `organization`, the same card shows the organization's checkup
/// (for its Owners) on the Team page.
#[component]
pub fn SecurityCheckup(#[prop(optional)] organization: bool) -> impl IntoView {
    let runs = RwSignal::new(0_u32);
    let checkup = Resource::new(
        move || runs.get(),
        move |_| async move {
            if organization {
                get_org_checkup().await
            } else {
                get_security_checkup().await
            }
        },
    );
    let recheck = Callback::new(move |_| runs.update(|n| *n += 1));
    let (id, test_id, title) = if organization {
        ("team-checkup", "team-checkup", "Team security checkup")
    } else {
        ("checkup", "security-checkup", "Security checkup")
    };
    view! {
        <section id=id aria-labelledby="checkup-title" data-testid=test_id class=CARD>
            <Transition fallback=move || view! { <CheckupSkeleton title/> }>
                {move || Suspend::new(async move {
                    match checkup.await {
                        Ok(checkup) => view! { <CheckupBody checkup recheck title/> }.into_any(),
                        Err(error) => view! {
                            <div class="space-y-3 px-5 py-5 sm:px-6">
                                <h2 id="checkup-title" class="text-base font-semibold text-slate-900 dark:text-white">{title}</h2>
                                <Alert tone=Tone::Error>{error.to_string()}</Alert>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What shows while the checkup loads.
#[component]
fn CheckupSkeleton(title: &'static str) -> impl IntoView {
    view! {
        <div class="flex items-center gap-4 px-5 py-5 sm:px-6" aria-busy="true">
            <div class="h-20 w-20 shrink-0 animate-pulse rounded-full bg-slate-100 dark:bg-slate-800"></div>
            <div class="flex-1 space-y-2">
                <h2 id="checkup-title" class="text-base font-semibold text-slate-900 dark:text-white">{title}</h2>
                <div class="h-3 w-2/3 animate-pulse rounded bg-slate-100 dark:bg-slate-800"></div>
            </div>
        </div>
    }
}

/// The loaded checkup: header with the ring, then the lists.
#[component]
fn CheckupBody(
    checkup: super::SecurityCheckup,
    recheck: Callback<()>,
    title: &'static str,
) -> impl IntoView {
    let grade = checkup.grade();
    let score = checkup.score;
    let (to_fix, passed): (Vec<CheckupItem>, Vec<CheckupItem>) =
        checkup.items.into_iter().partition(|item| !item.passed());
    let summary = match to_fix.len() {
        0 => "Everything we check looks good. Keep it that way: review sessions monthly and rotate keys quarterly.".to_string(),
        1 => "1 thing needs your attention.".to_string(),
        n => format!("{n} things need your attention, most important first."),
    };
    let passed_count = passed.len();
    view! {
        <header class="flex flex-wrap items-center gap-x-4 gap-y-2 px-5 py-5 sm:flex-nowrap sm:gap-4 sm:px-6">
            <ScoreRing score grade/>
            <div class="min-w-0 flex-1 basis-40">
                <div class="flex flex-wrap items-center gap-2">
                    <h2 id="checkup-title" class="text-base font-semibold text-slate-900 dark:text-white">{title}</h2>
                    <span class=format!("rounded-full px-2.5 py-0.5 text-xs font-medium {}", badge_class(grade)) data-testid="checkup-grade">
                        {grade.label()}
                    </span>
                </div>
                <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">{summary}</p>
            </div>
            // Its own row under the text on phones, at the right from `sm` up.
            <div class="basis-full pl-24 sm:basis-auto sm:pl-0">
                <button type="button" on:click=move |_| recheck.run(())
                    class="-ml-2.5 inline-flex items-center gap-1.5 rounded-lg px-2.5 py-1.5 text-sm font-medium text-indigo-600 hover:bg-indigo-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 sm:ml-0 dark:text-indigo-400 dark:hover:bg-indigo-950/50">
                    <svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" class="h-4 w-4" aria-hidden="true">
                        <path d="M16 10a6 6 0 11-1.76-4.24M16 3.5v3h-3"></path>
                    </svg>
                    "Check again"
                </button>
            </div>
        </header>
        {(!to_fix.is_empty()).then(|| view! {
            <ul class="divide-y divide-slate-100 border-t border-slate-100 dark:divide-slate-800 dark:border-slate-800" aria-label="Needs attention" data-testid="checkup-to-fix">
                {to_fix.into_iter().map(|item| view! { <ItemRow item/> }).collect_view()}
            </ul>
        })}
        {(passed_count > 0).then(|| view! {
            <details class="group border-t border-slate-100 dark:border-slate-800" data-testid="checkup-passed">
                <summary class="flex cursor-pointer list-none items-center gap-2 rounded-b-xl px-5 py-3 text-sm font-medium text-slate-600 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-6 dark:text-slate-300 dark:hover:bg-slate-800/60 [&::-webkit-details-marker]:hidden">
                    <svg viewBox="0 0 20 20" fill="currentColor" class="h-4 w-4 text-slate-400 transition-transform group-open:rotate-90" aria-hidden="true">
                        <path fill-rule="evenodd" d="M7.2 14.8a.75.75 0 010-1.06L10.94 10 7.2 6.26a.75.75 0 111.06-1.06l4.27 4.27a.75.75 0 010 1.06l-4.27 4.27a.75.75 0 01-1.06 0z" clip-rule="evenodd"></path>
                    </svg>
                    {if passed_count == 1 { "1 check passed".to_string() } else { format!("{passed_count} checks passed") }}
                </summary>
                <ul class="divide-y divide-slate-100 border-t border-slate-100 dark:divide-slate-800 dark:border-slate-800">
                    {passed.into_iter().map(|item| view! { <ItemRow item/> }).collect_view()}
                </ul>
            </details>
        })}
    }
}

/// The score out of 100 as a ring coloured by its grade.
#[component]
fn ScoreRing(score: u8, grade: Grade) -> impl IntoView {
    let filled = RING_LENGTH * f64::from(score.min(100)) / 100.0;
    let cap = if score > 0 { "round" } else { "butt" };
    view! {
        <div class="relative h-20 w-20 shrink-0" role="img"
            aria-label=format!("Security score {score} out of 100: {}", grade.label())>
            <svg viewBox="0 0 80 80" class="h-20 w-20 -rotate-90" aria-hidden="true">
                <circle cx="40" cy="40" r="34" fill="none" stroke-width="8" class="stroke-slate-100 dark:stroke-slate-800"></circle>
                <circle cx="40" cy="40" r="34" fill="none" stroke-width="8" stroke-linecap=cap
                    stroke-dasharray=format!("{filled:.2} {RING_LENGTH}") class=ring_class(grade)></circle>
            </svg>
            <span class="absolute inset-0 flex flex-col items-center justify-center" aria-hidden="true">
                <span class="text-2xl font-semibold leading-none text-slate-900 dark:text-white" data-testid="checkup-score">{score}</span>
                <span class="mt-0.5 text-[10px] font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">"of 100"</span>
            </span>
        </div>
    }
}

/// One check: icon, title, detail, what it concerns and, unless it passed, the fix.
#[component]
fn ItemRow(item: CheckupItem) -> impl IntoView {
    let CheckupItem {
        id,
        status,
        title,
        detail,
        affected,
        fix_href,
        fix_label,
        ..
    } = item;
    let hidden = affected.len().saturating_sub(AFFECTED_SHOWN);
    let show_fix = status != CheckStatus::Pass && !fix_href.is_empty();
    view! {
        <li class="flex flex-col gap-3 px-5 py-4 sm:flex-row sm:items-start sm:justify-between sm:gap-6 sm:px-6"
            data-check=id.as_str() data-status=status.as_str()>
            <div class="flex min-w-0 gap-3">
                <StatusIcon status/>
                <div class="min-w-0">
                    <p class="text-sm font-medium text-slate-900 dark:text-white">
                        <span class="sr-only">{status_word(status)}</span>
                        {title}
                    </p>
                    <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">{detail}</p>
                    {(!affected.is_empty() && status != CheckStatus::Pass).then(|| view! {
                        <ul class="mt-2 space-y-1 text-xs text-slate-600 dark:text-slate-300">
                            {affected.into_iter().take(AFFECTED_SHOWN).map(|line| view! {
                                <li class="flex gap-2 break-words">
                                    <span aria-hidden="true" class="text-slate-400">"•"</span>
                                    <span class="min-w-0">{line}</span>
                                </li>
                            }).collect_view()}
                            {(hidden > 0).then(|| view! { <li class="pl-4 text-slate-500 dark:text-slate-400">{format!("and {hidden} more")}</li> })}
                        </ul>
                    })}
                </div>
            </div>
            {show_fix.then(|| view! {
                <a href=fix_href class=format!("{FIX_LINK} ml-8 sm:ml-0")>
                    {fix_label}
                    <span aria-hidden="true">"→"</span>
                </a>
            })}
        </li>
    }
}

/// A cross, a warning sign or a tick, coloured by the status.
#[component]
fn StatusIcon(status: CheckStatus) -> impl IntoView {
    let (class, path) = match status {
        CheckStatus::Fail => (
            "text-red-600 dark:text-red-400",
            "M10 18a8 8 0 100-16 8 8 0 000 16zM8.28 7.22a.75.75 0 00-1.06 1.06L8.94 10l-1.72 1.72a.75.75 0 101.06 1.06L10 11.06l1.72 1.72a.75.75 0 101.06-1.06L11.06 10l1.72-1.72a.75.75 0 00-1.06-1.06L10 8.94 8.28 7.22z",
        ),
        CheckStatus::Warn => (
            "text-amber-500 dark:text-amber-400",
            "M8.49 2.5c.67-1.17 2.35-1.17 3.02 0l6.28 10.87c.67 1.17-.17 2.63-1.51 2.63H3.72c-1.35 0-2.19-1.46-1.52-2.63L8.49 2.5zM10 5a.75.75 0 01.75.75v3.5a.75.75 0 01-1.5 0v-3.5A.75.75 0 0110 5zm0 9a1 1 0 100-2 1 1 0 000 2z",
        ),
        CheckStatus::Pass => (
            "text-emerald-600 dark:text-emerald-400",
            "M10 18a8 8 0 100-16 8 8 0 000 16zm3.86-9.81a.75.75 0 00-1.22-.88l-3.48 4.79-1.88-1.88a.75.75 0 10-1.06 1.06l2.5 2.5a.75.75 0 001.14-.09l4-5.5z",
        ),
    };
    view! {
        <svg viewBox="0 0 20 20" fill="currentColor" class=format!("mt-0.5 h-5 w-5 shrink-0 {class}") aria-hidden="true">
            <path fill-rule="evenodd" clip-rule="evenodd" d=path></path>
        </svg>
    }
}

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Fail => "Needs fixing: ",
        CheckStatus::Warn => "Worth a look: ",
        CheckStatus::Pass => "Passed: ",
    }
}

fn ring_class(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "stroke-emerald-500 dark:stroke-emerald-400",
        Grade::Good => "stroke-sky-500 dark:stroke-sky-400",
        Grade::NeedsAttention => "stroke-amber-500 dark:stroke-amber-400",
        Grade::AtRisk => "stroke-red-500 dark:stroke-red-400",
    }
}

fn badge_class(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200"
        }
        Grade::Good => "bg-sky-100 text-sky-800 dark:bg-sky-900/40 dark:text-sky-200",
        Grade::NeedsAttention => {
            "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200"
        }
        Grade::AtRisk => "bg-red-100 text-red-800 dark:bg-red-900/40 dark:text-red-200",
    }
}
