//! `/join?token=…`: what an invitation offers, and accepting it as the
//! invited account (signing in or creating the account first).

use crate::ids::encode_query_component;
use crate::team::api::{AcceptInvitation, preview_invitation};
use crate::time::utc_datetime;
use crate::ui::flash::last_error;
use crate::ui::{Alert, Logo, SubmitButton, Tone};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The invitation page. The token stays in this page's URL only (it is sent
/// with `Referrer-Policy: no-referrer`).
#[component]
pub fn JoinPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|query| query.get("token").unwrap_or_default());
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = last_error(accept);
    let preview = Resource::new(move || (), {
        let token = token.clone();
        move |_| preview_invitation(token.clone())
    });
    let here = format!("/join?token={}", encode_query_component(&token));
    let link = "font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400";
    view! {
        <Title text="Join an organization"/>
        <main class="flex min-h-screen items-start justify-center px-4 py-12 sm:items-center">
            <div class="w-full max-w-md space-y-6">
                <div class="flex justify-center text-xl"><Logo/></div>
                <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                    <Transition fallback=|| view! { <div class="h-32 animate-pulse rounded-lg bg-slate-100 dark:bg-slate-800"></div> }>
                        {move || {
                            let token = token.clone();
                            let here = here.clone();
                            Suspend::new(async move {
                                match preview.await {
                                    Ok(invitation) => view! {
                                        <h1 class="text-xl font-semibold text-slate-900 dark:text-white" data-testid="join-title">
                                            {format!("Join {}", invitation.organization)}
                                        </h1>
                                        <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">
                                            {format!("{} invited {} to join as {}. {}",
                                                if invitation.invited_by.is_empty() { "A team member" } else { invitation.invited_by.as_str() },
                                                invitation.email_hint, invitation.role.label(), invitation.role.description())}
                                        </p>
                                        <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">{format!("The invitation works once, until {}.", utc_datetime(invitation.expires_at))}</p>
                                        <div class="mt-5 space-y-3">
                                            {move || error.get().map(|e| view! { <Alert tone=Tone::Error>{e.to_string()}</Alert> })}
                                            {match invitation.for_signed_in_account {
                                                Some(true) => view! {
                                                    <ActionForm action=accept attr:data-testid="accept-form">
                                                        <input type="hidden" name="token" value=token.clone()/>
                                                        <SubmitButton label="Accept invitation" busy_label="Joining…" pending=accept.pending() full_width=true/>
                                                    </ActionForm>
                                                }.into_any(),
                                                Some(false) => view! {
                                                    <Alert tone=Tone::Info>
                                                        {format!("You are signed in with another address. This invitation is for {}: sign out, then open the link again and sign in with that address.", invitation.email_hint)}
                                                    </Alert>
                                                }.into_any(),
                                                None => view! {
                                                    <div class="flex flex-col gap-2 text-sm sm:flex-row sm:items-center sm:justify-between">
                                                        <a href=format!("/login?next={}", encode_query_component(&here)) class="inline-flex justify-center rounded-lg bg-indigo-600 px-4 py-2.5 font-semibold text-white hover:bg-indigo-500">"Sign in to accept"</a>
                                                        <a href=format!("/signup?next={}", encode_query_component(&here)) class=link>"New here? Create an account"</a>
                                                    </div>
                                                }.into_any(),
                                            }}
                                        </div>
                                    }.into_any(),
                                    Err(error) => view! {
                                        <h1 class="text-xl font-semibold text-slate-900 dark:text-white">"This invitation can't be used"</h1>
                                        <div class="mt-3" data-testid="join-error"><Alert tone=Tone::Error>{error.to_string()}</Alert></div>
                                        <a href="/settings/team" class=format!("mt-4 inline-block text-sm {link}")>"Go to your team settings"</a>
                                    }.into_any(),
                                }
                            })
                        }}
                    </Transition>
                </section>
            </div>
        </main>
    }
}
