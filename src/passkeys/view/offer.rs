//! "Sign in faster next time — add a passkey": offered for a while after a
//! sign-in to an account without one. Where the browser can create a
//! passkey quietly after its password manager signed in (conditional
//! create), it does so on the spot; otherwise one click adds it, or "Not
//! now" puts the offer away for 30 days.

use crate::passkeys::api::{
    DismissPasskeyOffer, finish_passkey_registration, get_passkey_offer, start_passkey_registration,
};
use crate::passkeys::{OFFER_SNOOZE_DAYS, PasskeyInfo};
use crate::ui::style::BUTTON_SECONDARY;
use crate::ui::webauthn::{self as browser, Abort, explain};
use crate::ui::{Alert, Tone};
use leptos::prelude::*;

/// Where the offer stands in this page.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Offered,
    Waiting,
    Added(String),
    Failed(Option<String>),
}

/// The offer, at the top of the Security page, when one is due and the
/// browser can use passkeys.
#[component]
pub fn PasskeyOfferBanner() -> impl IntoView {
    let offer = Resource::new(|| (), |_| get_passkey_offer());
    let dismiss = ServerAction::<DismissPasskeyOffer>::new();
    let supported = RwSignal::new(false);
    Effect::new(move |_| supported.set(browser::supported()));
    let stage = RwSignal::new(Stage::Offered);
    let add = move |_| {
        stage.set(Stage::Waiting);
        leptos::task::spawn_local(async move {
            stage.set(match register(None).await {
                Ok(passkey) => Stage::Added(passkey.name),
                Err(message) => Stage::Failed(message),
            });
        });
    };
    // A browser that may create a passkey quietly right after its password
    // manager signed in does so once, without a dialog; any refusal leaves
    // the offer as it was.
    Effect::new(move |_| {
        if let Some(Ok(Some(offer))) = offer.get()
            && !offer.needs_password
        {
            leptos::task::spawn_local(async move {
                if !browser::conditional_create_available().await {
                    return;
                }
                let Some(abort) = Abort::new() else { return };
                if let Ok(passkey) = register(Some(&abort)).await {
                    stage.set(Stage::Added(passkey.name));
                }
            });
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let due = matches!(offer.await, Ok(Some(_)));
                let needs_password = matches!(offer.get(), Some(Ok(Some(o))) if o.needs_password);
                let shown = move || due && supported.get() && dismiss.value().get().is_none();
                view! {
                    <Show when=shown>
                        <section class="mb-6 rounded-xl border border-indigo-200 bg-indigo-50 p-4 dark:border-indigo-900/60 dark:bg-indigo-950/40" data-testid="passkey-offer" aria-labelledby="passkey-offer-title">
                            {move || match stage.get() {
                                Stage::Added(name) => view! {
                                    <p id="passkey-offer-title" class="text-sm font-medium text-emerald-800 dark:text-emerald-300" role="status">
                                        {format!("Passkey “{name}” added. Next time, sign in with it: no password to type.")}
                                    </p>
                                }.into_any(),
                                current => view! {
                                    <div class="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
                                        <div>
                                            <h2 id="passkey-offer-title" class="text-sm font-semibold text-slate-900 dark:text-white">"Sign in faster next time — add a passkey"</h2>
                                            <p class="mt-1 text-sm text-slate-600 dark:text-slate-300">"Your fingerprint, face or screen lock instead of your password. A fake site cannot ask for it."</p>
                                        </div>
                                        <div class="flex shrink-0 items-center gap-2">
                                            {if needs_password {
                                                view! { <a href="/settings/authentication" class=BUTTON_SECONDARY>"Add a passkey"</a> }.into_any()
                                            } else {
                                                view! {
                                                    <button type="button" class=BUTTON_SECONDARY on:click=add disabled=move || stage.get() == Stage::Waiting>
                                                        {move || if stage.get() == Stage::Waiting { "Waiting for your device…" } else { "Add a passkey" }}
                                                    </button>
                                                }.into_any()
                                            }}
                                            <ActionForm action=dismiss>
                                                <button type="submit" class="rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white"
                                                    title=format!("Not shown again for {OFFER_SNOOZE_DAYS} days")>"Not now"</button>
                                            </ActionForm>
                                        </div>
                                    </div>
                                    {match current {
                                        Stage::Failed(Some(message)) => Some(view! { <div class="mt-3"><Alert tone=Tone::Error>{message}</Alert></div> }),
                                        _ => None,
                                    }}
                                }.into_any(),
                            }}
                        </section>
                    </Show>
                }
            })}
        </Transition>
    }
}

/// Adds a passkey in the open sudo window: with `conditional`, quietly
/// (the browser decides), else through the browser's dialog.
async fn register(conditional: Option<&Abort>) -> Result<PasskeyInfo, Option<String>> {
    let ceremony = start_passkey_registration(None, None)
        .await
        .map_err(|error| Some(explain(error)))?;
    let answer = match conditional {
        Some(abort) => browser::create_conditionally(&ceremony.options, abort).await,
        None => browser::create(&ceremony.options).await,
    }
    .map_err(|refusal| refusal.message().map(str::to_string))?;
    finish_passkey_registration(ceremony.handle, answer, None)
        .await
        .map_err(|error| Some(explain(error)))
}
