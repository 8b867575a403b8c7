//! `/two-factor-setup`: where a member their organization holds at the 2FA
//! gate sets it up — the set-up and nothing else, with sign-out.

use super::{TwoFactorActions, TwoFactorSection};
use crate::account::api::SignOut;
use crate::team::TwoFactorRequirement;
use crate::team::api::get_two_factor_requirement;
use crate::time::utc_datetime;
use crate::ui::style::BUTTON_SECONDARY;
use crate::ui::{Alert, Logo, Tone};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/two-factor-setup`: where a member is held once their organization's
/// 2FA rule applies to them. Nothing else works until 2FA is on.
#[component]
pub fn TwoFactorSetupPage() -> impl IntoView {
    let actions = TwoFactorActions::new();
    let sign_out = ServerAction::<SignOut>::new();
    let requirement = Resource::new(move || actions.version(), |_| get_two_factor_requirement());
    view! {
        <Title text="Set up two-factor authentication"/>
        <main class="mx-auto max-w-2xl px-4 py-10 sm:py-16">
            <div class="mb-6 flex items-center justify-between gap-4">
                <Logo/>
                <ActionForm action=sign_out>
                    <button type="submit" class=BUTTON_SECONDARY>"Sign out"</button>
                </ActionForm>
            </div>
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900 dark:text-white">"Set up two-factor authentication"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match requirement.await {
                        Ok(TwoFactorRequirement::Enforced { reason, .. }) => view! {
                            <div class="mt-3 mb-6" data-testid="two-factor-required">
                                <Alert tone=Tone::Info>{reason}" Until it is on, this is the only page you can use."</Alert>
                            </div>
                        }.into_any(),
                        Ok(TwoFactorRequirement::Grace { organization, deadline }) => view! {
                            <p class="mt-3 mb-6 text-sm text-slate-600 dark:text-slate-300">
                                {format!("{organization} requires two-factor authentication by {}.", utc_datetime(deadline))}
                            </p>
                        }.into_any(),
                        Ok(TwoFactorRequirement::None) => view! {
                            <div class="mt-3 mb-6 space-y-3" data-testid="two-factor-done">
                                <Alert tone=Tone::Success>"Two-factor authentication is on. You're all set."</Alert>
                                <a href="/settings/security" class="inline-flex rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white hover:bg-indigo-500">"Continue to settings"</a>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <div class="mt-3 mb-6"><Alert tone=Tone::Error>{error.to_string()}</Alert></div> }.into_any(),
                    }
                })}
            </Transition>
            <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 dark:border-slate-800 dark:bg-slate-900">
                <TwoFactorSection actions/>
            </section>
        </main>
    }
}
