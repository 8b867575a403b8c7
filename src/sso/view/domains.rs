//! The card's domains: each with the TXT record that proves it, "Verify"
//! and "Remove"; and the form that adds one.

use super::{Actions, SsoOverview};
use crate::sso::{DomainRow, MISSES_BEFORE_LAPSE};
use crate::two_factor::api::sudo_prompt;
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, INPUT, LABEL, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::{
    Alert, CopyButton, SubmitButton, SudoFields, Tone, action_error, field_error, form_level_error,
};
use leptos::prelude::*;

/// The domains and the form that adds one.
#[component]
pub fn Domains(data: StoredValue<SsoOverview>, actions: Actions) -> impl IntoView {
    let add = actions.add_domain;
    let add_error = action_error(add);
    let verify_error = action_error(actions.verify_domain);
    let remove_error = action_error(actions.remove_domain);
    let (domains, needs_sudo, sudo_factor) =
        data.with_value(|d| (d.domains.clone(), d.needs_sudo, d.sudo_factor));
    let empty = domains.is_empty();
    let rows = domains
        .into_iter()
        .enumerate()
        .map(|(index, domain)| view! { <DomainItem index domain actions needs_sudo sudo_factor/> })
        .collect_view();
    let list_error = move || {
        field_error(&verify_error.get(), "domain")
            .or_else(|| form_level_error(verify_error.get()))
            .or_else(|| field_error(&remove_error.get(), "domain"))
    };
    view! {
        <div class="space-y-3" data-testid="sso-domains">
            <h3 class="text-sm font-semibold text-slate-900 dark:text-white">"Verified domains"</h3>
            <p class="text-sm text-slate-600 dark:text-slate-300">
                {format!("Only addresses on domains you verify sign in through your identity provider and join as members. Add a domain, create the TXT record we show in its DNS, then verify. Keep the record: we look it up every day, and a domain whose record is gone {MISSES_BEFORE_LAPSE} days in a row stops being verified.")}
            </p>
            {move || list_error().map(|message| view! { <div data-testid="sso-domain-problem"><Alert tone=Tone::Error>{message}</Alert></div> })}
            {empty.then(|| view! { <p class="text-sm text-slate-500 dark:text-slate-400">"No domains yet."</p> })}
            <ul class="space-y-3">{rows}</ul>
            <ActionForm action=add attr:class="space-y-3" attr:data-testid="sso-add-domain">
                <div class="space-y-1.5">
                    <label for="sso-domain" class=LABEL>"Add a domain"</label>
                    <div class="flex flex-wrap gap-2">
                        <input id="sso-domain" name="domain" required maxlength="253" placeholder="example.com"
                            autocapitalize="off" spellcheck="false" class=format!("{INPUT} max-w-xs")/>
                        <SubmitButton label="Add domain" busy_label="Adding…" pending=add.pending()/>
                    </div>
                    {move || field_error(&add_error.get(), "domain").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
                {needs_sudo.then(|| view! { <SudoFields id="sso-add-domain" second_factor=sudo_prompt(sudo_factor) error=add_error/> })}
            </ActionForm>
        </div>
    }
}

/// One domain: verified (since when), or its TXT record and "Verify".
#[component]
fn DomainItem(
    index: usize,
    domain: DomainRow,
    actions: Actions,
    needs_sudo: bool,
    sudo_factor: crate::two_factor::SudoFactor,
) -> impl IntoView {
    let verify = actions.verify_domain;
    let remove = actions.remove_domain;
    let remove_error = action_error(remove);
    let name_id = format!("sso-record-name-{index}");
    let value_id = format!("sso-record-value-{index}");
    // A verified domain whose daily check found the record gone.
    let missing = domain.verified_at.is_some() && domain.missed_checks > 0;
    let state = match domain.verified_at {
        Some(_) if missing => view! {
            <span class="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-800 dark:bg-amber-900/40 dark:text-amber-200" data-testid="sso-domain-record-missing">"Verified · record missing"</span>
        }
        .into_any(),
        Some(at) => view! {
            <span class="rounded-full bg-emerald-100 px-2.5 py-0.5 text-xs font-semibold text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200" data-testid="sso-domain-verified">"Verified"</span>
            <span class="text-xs text-slate-500 dark:text-slate-400"><RelativeTime at/></span>
        }
        .into_any(),
        None => view! {
            <span class="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-800 dark:bg-amber-900/40 dark:text-amber-200">"Not verified"</span>
        }
        .into_any(),
    };
    let record = (domain.verified_at.is_none() || missing).then(|| {
        let (name, value) = (domain.record_name.clone(), domain.record_value.clone());
        let intro = if missing {
            let left = MISSES_BEFORE_LAPSE - domain.missed_checks;
            format!(
                "Our daily check found this TXT record gone ({} of {MISSES_BEFORE_LAPSE} days in a row). Put it back in the domain's DNS: after {left} more {}, the domain stops being verified and its addresses no longer sign in through your identity provider.",
                domain.missed_checks,
                if left == 1 { "miss" } else { "misses" }
            )
        } else {
            "Create this TXT record in the domain's DNS:".to_string()
        };
        view! {
            <div class="mt-3 space-y-2 text-sm">
                <p class="text-slate-600 dark:text-slate-300">{intro}</p>
                <div class="grid gap-2 sm:grid-cols-[6rem_1fr]">
                    <span class="text-xs font-medium uppercase tracking-wide text-slate-500 sm:pt-2.5">"Name"</span>
                    <div class="flex gap-2">
                        <input id=name_id.clone() readonly value=name.clone() class=format!("{INPUT} font-mono text-xs")/>
                        <CopyButton text=name select_id=name_id/>
                    </div>
                    <span class="text-xs font-medium uppercase tracking-wide text-slate-500 sm:pt-2.5">"Value"</span>
                    <div class="flex gap-2">
                        <input id=value_id.clone() readonly value=value.clone() class=format!("{INPUT} font-mono text-xs") data-testid="sso-record-value"/>
                        <CopyButton text=value select_id=value_id/>
                    </div>
                </div>
                {domain.checked_at.map(|at| view! { <p class="text-xs text-slate-500 dark:text-slate-400">"Last checked " <RelativeTime at/></p> })}
            </div>
        }
    });
    let (idle_label, busy_label) = if missing {
        ("Check now", "Checking…")
    } else {
        ("Verify", "Looking up…")
    };
    let name = domain.domain.clone();
    view! {
        <li class="rounded-lg border border-slate-200 px-4 py-3 dark:border-slate-700" data-testid="sso-domain">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="flex flex-wrap items-center gap-2">
                    <span class="font-mono text-sm font-medium text-slate-900 dark:text-white">{domain.domain.clone()}</span>
                    {state}
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    {(domain.verified_at.is_none() || missing).then(|| {
                        let name = name.clone();
                        view! {
                        <ActionForm action=verify>
                            <input type="hidden" name="domain" value=name/>
                            <button type="submit" class=BUTTON_SECONDARY disabled=move || verify.pending().get() data-testid="sso-verify">
                                {move || if verify.pending().get() { busy_label } else { idle_label }}
                            </button>
                        </ActionForm>
                    }})}
                    <details class="relative">
                        <summary class=SUMMARY aria-label=format!("Remove {name}")>"Remove"</summary>
                        <div class="mt-2 w-72 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 dark:border-slate-700 dark:bg-slate-900">
                            <p class="mb-3 text-slate-700 dark:text-slate-200">"Members on this domain no longer sign in with single sign-on, and “Require SSO” stops covering them."</p>
                            <ActionForm action=remove attr:class="space-y-3">
                                <input type="hidden" name="domain" value=name.clone()/>
                                {needs_sudo.then(|| view! { <SudoFields id="sso-remove-domain" second_factor=sudo_prompt(sudo_factor) error=remove_error/> })}
                                <button type="submit" class=BUTTON_DANGER disabled=move || remove.pending().get()>{format!("Remove {name}")}</button>
                            </ActionForm>
                        </div>
                    </details>
                </div>
            </div>
            {record}
        </li>
    }
}
