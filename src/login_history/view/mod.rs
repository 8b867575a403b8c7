//! The Security page's Login History: filters in the URL, the chart, the
//! table, "Newer"/"Older" pages and the export links.

pub mod chart;

use super::api::login_history;
use super::filter::{HistoryFilter, Range};
use super::{Category, EventKind, EventRow, HistoryPage, Outcome};
use crate::login_history::api::get_org_history;
use crate::time::iso_date;
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, Tone};
use chart::EventsChart;
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_location;
use strum::IntoEnumIterator;

/// Whose events a history view shows: the signed-in person's (Security page)
/// or their organization's team events (Team page, Owners and Admins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryScope {
    Personal,
    Organization,
}

impl HistoryScope {
    /// The page the filters and page links stay on.
    fn path(self) -> &'static str {
        match self {
            HistoryScope::Personal => "/settings/security",
            HistoryScope::Organization => "/settings/team",
        }
    }

    /// The card the page scrolls back to.
    fn anchor(self) -> &'static str {
        match self {
            HistoryScope::Personal => "#login-history",
            HistoryScope::Organization => "#team-events",
        }
    }
}
const INPUT: &str = "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-900 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 dark:border-slate-600 dark:bg-slate-950 dark:text-white";
const LINK_BUTTON: &str = "inline-flex items-center rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800";

/// The Login History card's body; everything it shows follows the URL query.
#[component]
pub fn LoginHistory(
    #[prop(default = HistoryScope::Personal)] scope: HistoryScope,
) -> impl IntoView {
    let location = use_location();
    let page = Resource::new(
        move || location.search.get(),
        move |query| async move {
            match scope {
                HistoryScope::Personal => login_history(query).await,
                HistoryScope::Organization => get_org_history(query).await,
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <div class="h-64 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <HistoryBody page scope/> }.into_any(),
                    Err(error) => view! {
                        <FilterForm filter=HistoryFilter::default() scope/>
                        <div class="mt-4"><Alert tone=Tone::Error>{error.to_string()}</Alert></div>
                        <A href=format!("{}{}", scope.path(), scope.anchor()) attr:class=LINK_BUTTON>"Clear filters"</A>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryBody(page: HistoryPage, scope: HistoryScope) -> impl IntoView {
    let query = page.filter.to_query();
    let path = scope.path();
    let export = move |format: &str| {
        if query.is_empty() {
            format!("{path}/history/export?format={format}")
        } else {
            format!("{path}/history/export?format={format}&{query}")
        }
    };
    let page_link = move |query: String| format!("{path}?{query}{}", scope.anchor());
    let empty = page.events.is_empty();
    view! {
        <div class="space-y-5">
            <FilterForm filter=page.filter.clone() scope/>
            <EventsChart buckets=page.chart/>
            {if empty {
                view! { <p class="py-6 text-center text-sm text-slate-500 dark:text-slate-400" data-testid="history-empty">"No events match these filters."</p> }.into_any()
            } else {
                view! { <EventTable events=page.events/> }.into_any()
            }}
            <div class="flex flex-wrap items-center justify-between gap-3">
                <nav aria-label="Login history pages" class="flex gap-2">
                    {page.newer.map(|q| view! { <A href=page_link(q) attr:class=LINK_BUTTON attr:rel="prev">"← Newer"</A> })}
                    {page.older.map(|q| view! { <A href=page_link(q) attr:class=LINK_BUTTON attr:rel="next">"Older →"</A> })}
                </nav>
                {(scope == HistoryScope::Personal).then(|| view! {
                    <div class="flex gap-2 text-sm">
                        <a href=export("csv") class=LINK_BUTTON download="">"Export CSV"</a>
                        <a href=export("json") class=LINK_BUTTON download="">"Export JSON"</a>
                    </div>
                })}
            </div>
        </div>
    }
}

/// The filters as a GET form: submitting navigates, so the URL holds them
/// and the back button walks through them.
#[component]
fn FilterForm(filter: HistoryFilter, scope: HistoryScope) -> impl IntoView {
    let custom = filter.range == Range::Custom;
    let day = |d: Option<i64>| {
        d.map(|d| iso_date(d * 24 * 60 * 60 * 1000))
            .unwrap_or_default()
    };
    view! {
        <Form method="GET" action=scope.path() noscroll=true attr:class="space-y-3" attr:data-testid="history-filters">
            <fieldset>
                <legend class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">"Events"</legend>
                <div class="flex flex-wrap gap-2">
                    {Category::iter().map(|category| {
                        let id = format!("category-{}", category.as_str());
                        let for_id = id.clone();
                        view! {
                            <label for=for_id class="inline-flex cursor-pointer items-center gap-1.5 rounded-full border border-slate-300 px-3 py-1 text-sm text-slate-700 has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50 has-[:checked]:text-indigo-800 dark:border-slate-600 dark:text-slate-200 dark:has-[:checked]:bg-indigo-950/60 dark:has-[:checked]:text-indigo-200">
                                <input id=id type="checkbox" name="category" value=category.as_str()
                                    checked=filter.categories.contains(&category) class="accent-indigo-600"/>
                                {category.label()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="flex flex-wrap items-end gap-3">
                <label class="space-y-1 text-xs font-medium text-slate-600 dark:text-slate-300">
                    <span class="block">"Result"</span>
                    <select name="result" class=INPUT>
                        <option value="" selected=filter.outcome.is_none()>"Any result"</option>
                        <option value="success" selected=filter.outcome == Some(Outcome::Success)>"Succeeded"</option>
                        <option value="failure" selected=filter.outcome == Some(Outcome::Failure)>"Failed"</option>
                    </select>
                </label>
                <label class="space-y-1 text-xs font-medium text-slate-600 dark:text-slate-300">
                    <span class="block">"Time"</span>
                    <select name="range" class=INPUT>
                        {Range::iter().map(|range| view! {
                            <option value=range.as_str() selected=filter.range == range>{range.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="space-y-1 text-xs font-medium text-slate-600 dark:text-slate-300">
                    <span class="block">"From (custom)"</span>
                    <input type="date" name="from" value=day(filter.from_day) class=INPUT required=custom/>
                </label>
                <label class="space-y-1 text-xs font-medium text-slate-600 dark:text-slate-300">
                    <span class="block">"To (custom)"</span>
                    <input type="date" name="to" value=day(filter.to_day) class=INPUT required=custom/>
                </label>
                <label class="min-w-40 flex-1 space-y-1 text-xs font-medium text-slate-600 dark:text-slate-300">
                    <span class="block">"IP, device or location"</span>
                    <input type="search" name="q" value=filter.text.clone() maxlength="100" placeholder="e.g. 203.0.113 or Firefox" class=format!("{INPUT} w-full")/>
                </label>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "Apply filters"
                </button>
            </div>
        </Form>
    }
}

#[component]
fn EventTable(events: Vec<EventRow>) -> impl IntoView {
    let header = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400";
    view! {
        // Focusable so that keyboard users can scroll it on a narrow screen.
        <div class="-mx-5 overflow-x-auto rounded-sm focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 sm:mx-0" tabindex="0" role="region" aria-label="Events">
            <table class="w-full min-w-[46rem] divide-y divide-slate-200 text-sm dark:divide-slate-800" data-testid="history-table">
                <thead>
                    <tr>
                        <th scope="col" class=header>"Time"</th>
                        <th scope="col" class=header>"Event"</th>
                        <th scope="col" class=header>"Result"</th>
                        <th scope="col" class=header>"Device"</th>
                        <th scope="col" class=header>"Location"</th>
                        <th scope="col" class=header>"IP"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                    {events.into_iter().map(|event| view! { <EventLine event/> }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn EventLine(event: EventRow) -> impl IntoView {
    let failed = event.outcome == Outcome::Failure;
    // The owner's own report of an intrusion must stand out from ordinary failures.
    let flagged = event.kind == EventKind::ReportedNotMe.as_str();
    let row_class = if flagged {
        "bg-red-100 ring-2 ring-inset ring-red-400 dark:bg-red-950/50 dark:ring-red-700"
    } else if failed {
        "bg-red-50/60 dark:bg-red-950/20"
    } else {
        ""
    };
    let cell = "px-3 py-2 align-top text-slate-700 dark:text-slate-200";
    view! {
        <tr class=row_class data-testid="history-row" data-kind=event.kind.clone() data-outcome=event.outcome.as_str()>
            <td class=format!("{cell} whitespace-nowrap")>
                <RelativeTime at=event.occurred_at/>
            </td>
            <td class=cell>
                <span class="inline-flex items-center gap-2 font-medium text-slate-900 dark:text-white">
                    <CategoryIcon category=event.category failed/>
                    {event.label.clone()}
                    {flagged.then(|| view! {
                        <span class="rounded-full bg-red-600 px-2 py-0.5 text-xs font-semibold uppercase tracking-wide text-white" data-testid="flagged">"Flagged"</span>
                    })}
                </span>
                {(!event.detail.is_empty()).then(|| view! { <p class="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{event.detail.clone()}</p> })}
            </td>
            <td class=cell>
                {if failed {
                    view! { <span class="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800 dark:bg-red-900/50 dark:text-red-200">"Failed"</span> }.into_any()
                } else {
                    view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200">"Succeeded"</span> }.into_any()
                }}
            </td>
            <td class=cell>{event.device.clone()}</td>
            <td class=cell>{event.location.clone()}</td>
            <td class=format!("{cell} font-mono text-xs")>{event.ip.clone()}</td>
        </tr>
    }
}

#[component]
fn CategoryIcon(category: Option<Category>, failed: bool) -> impl IntoView {
    let path = match category {
        Some(Category::Logins) => "M15 3h4v18h-4M10 17l5-5-5-5M15 12H3",
        Some(Category::FailedAttempts) => {
            "M12 9v4M12 17h.01M10.3 3.9L1.8 18a2 2 0 001.7 3h17a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z"
        }
        Some(Category::Password) => "M8 11V8a4 4 0 118 0v3M6 11h12v9H6z",
        Some(Category::TwoFactor) => "M7 2h10v20H7zM11 18h2",
        Some(Category::Sessions) => "M3 5h18v11H3zM8 20h8M12 16v4",
        Some(Category::ApiKeys) => {
            "M14.5 4a5.5 5.5 0 11-4.9 8H8v2H6v2H3v-3.5l5.6-5.6A5.5 5.5 0 0114.5 4z"
        }
        Some(Category::OAuth) => {
            "M10 13a5 5 0 007 0l3-3a5 5 0 00-7-7l-1 1M14 11a5 5 0 00-7 0l-3 3a5 5 0 007 7l1-1"
        }
        Some(Category::Team) => {
            "M9 11a3 3 0 100-6 3 3 0 000 6zm8 0a2.5 2.5 0 100-5M3 20c0-3 3-5 6-5s6 2 6 5m2-5c2.5 0 4 1.5 4 4"
        }
        Some(Category::Passkeys) => {
            "M9 11a3.5 3.5 0 100-7 3.5 3.5 0 000 7zM3 20c0-3.3 2.7-6 6-6 1.2 0 2.3.3 3.2.9M17 11a2.5 2.5 0 110 5 2.5 2.5 0 010-5zm0 5v5m0-2h2"
        }
        None => "M12 8v4M12 16h.01",
    };
    let color = if failed {
        "text-red-600 dark:text-red-400"
    } else {
        "text-slate-400"
    };
    view! {
        <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"
            class=format!("h-4 w-4 shrink-0 {color}") aria-hidden="true"><path d=path></path></svg>
    }
}
