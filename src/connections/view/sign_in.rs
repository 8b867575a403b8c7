//! The sign-in page's "Continue with GitHub" buttons, one small form per
//! configured provider (works before the Wasm loads), and what went wrong
//! on a round trip that came back here (`?oauth_error=…&provider=…`).

use super::{problem_message, provider_error};
use crate::connections::api::{StartProviderSignIn, sign_in_providers};
use crate::ui::{Alert, Tone, action_error};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const PROVIDER_BUTTON: &str = "inline-flex w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800";

/// One "Continue with …" button per configured provider; nothing when
/// none is configured.
#[component]
pub fn ProviderSignIn() -> impl IntoView {
    let providers = Resource::new(|| (), |_| sign_in_providers());
    let start = ServerAction::<StartProviderSignIn>::new();
    let start_error = action_error(start);
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let providers = providers.await.unwrap_or_default();
                if providers.is_empty() {
                    return ().into_any();
                }
                let returned = query.with(|q| {
                    problem_message(q.get("oauth_error").as_deref(), q.get("provider").as_deref(), &providers)
                });
                view! {
                    <div class="mt-3 space-y-3" data-testid="provider-sign-in">
                        {returned.map(|message| view! { <div data-testid="provider-problem"><Alert tone=Tone::Error>{message}</Alert></div> })}
                        {move || provider_error(start_error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                        {providers.into_iter().map(|provider| view! {
                            <ActionForm action=start>
                                <input type="hidden" name="provider" value=provider.key.clone()/>
                                <input type="hidden" name="next" value=next/>
                                <button type="submit" class=PROVIDER_BUTTON disabled=move || start.pending().get()
                                    data-testid=format!("sign-in-with-{}", provider.key)>
                                    <super::ProviderMark key=provider.key.clone()/>
                                    {format!("Continue with {}", provider.label)}
                                </button>
                            </ActionForm>
                        }).collect_view()}
                    </div>
                }
                .into_any()
            })}
        </Transition>
    }
}
