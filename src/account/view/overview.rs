//! The account summary at the top of the Security page: who, 2FA on or off,
//! password age, sessions, the previous sign-in and recent failures.

use crate::account::SecurityOverview;
use crate::account::api::get_security_overview;
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, Tone};
use leptos::prelude::*;

/// The account summary, fetched again whenever `refresh` changes (after a
/// session is revoked or 2FA changes).
#[component]
pub fn AccountOverview(#[prop(into)] refresh: Signal<usize>) -> impl IntoView {
    let overview = Resource::new(move || refresh.get(), |_| get_security_overview());
    view! {
        <Transition fallback=|| view! { <div class="h-28 animate-pulse rounded-xl bg-slate-100 dark:bg-slate-800"></div> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <OverviewCard overview/> }.into_any(),
                    Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The account summary: who, password age, sessions, recent sign-ins.
#[component]
fn OverviewCard(overview: SecurityOverview) -> impl IntoView {
    let stat = "rounded-lg bg-slate-50 px-4 py-3 dark:bg-slate-800/60";
    let label = "text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400";
    let value = "mt-1 text-sm font-medium text-slate-900 dark:text-white";
    let failed = overview.recent_failed_sign_ins;
    let failed_class = if failed > 0 {
        format!("{value} text-red-600 dark:text-red-400")
    } else {
        value.to_string()
    };
    view! {
        <section aria-label="Account overview" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 dark:border-slate-800 dark:bg-slate-900">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div>
                    <p class="text-base font-semibold text-slate-900 dark:text-white">{overview.user.name.clone()}</p>
                    <p class="text-sm text-slate-500 dark:text-slate-400">{overview.user.email.clone()}</p>
                </div>
                {match overview.two_factor {
                    Some(method) => view! {
                        <a href="#two-factor" class="rounded-full bg-emerald-100 px-3 py-1 text-xs font-medium text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200" data-testid="two-factor-badge">
                            {format!("Two-factor authentication is on ({})", method.label())}
                        </a>
                    }.into_any(),
                    None => view! {
                        <a href="#two-factor" class="rounded-full bg-amber-100 px-3 py-1 text-xs font-medium text-amber-800 dark:bg-amber-900/40 dark:text-amber-200" data-testid="two-factor-badge">
                            "Two-factor authentication is off"
                        </a>
                    }.into_any(),
                }}
            </div>
            <dl class="mt-5 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <div class=stat>
                    <dt class=label>{if overview.user.has_password { "Password changed" } else { "Password" }}</dt>
                    <dd class=value data-testid="password-changed">
                        {if overview.user.has_password {
                            view! { <RelativeTime at=overview.user.password_changed_at/> }.into_any()
                        } else {
                            view! { <a href="#password" class="text-amber-700 underline dark:text-amber-300">"No password set"</a> }.into_any()
                        }}
                    </dd>
                </div>
                <div class=stat>
                    <dt class=label>"Active sessions"</dt>
                    <dd class=value data-testid="active-sessions">{overview.active_sessions}</dd>
                </div>
                <div class=stat>
                    <dt class=label>"Previous sign-in"</dt>
                    <dd class=value>
                        {match overview.previous_sign_in {
                            Some((at, ip)) => view! { <RelativeTime at/>" from "{ip} }.into_any(),
                            None => view! { "This is your first" }.into_any(),
                        }}
                    </dd>
                </div>
                <div class=stat>
                    <dt class=label>"Failed sign-ins (30 days)"</dt>
                    <dd class=failed_class>{failed}</dd>
                </div>
            </dl>
            {overview.sessions_review_due.then(|| view! {
                <div class="mt-4">
                    <Alert tone=Tone::Info>
                        "Time for your monthly session review. "
                        <a href="#sessions" class="font-medium text-indigo-600 underline dark:text-indigo-400">"Review active sessions"</a>
                    </Alert>
                </div>
            })}
        </section>
    }
}
