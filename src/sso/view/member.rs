//! The "Single sign-on" card as a member who is not an Owner sees it: who
//! provides their organization's SSO, and what it means for their ways in.

use crate::sso::MemberSso;
use crate::sso::api::get_member_sso;
use crate::ui::{Alert, Card, Tone};
use leptos::prelude::*;

/// Shown to members who are not Owners while their organization's SSO is
/// active; nothing otherwise.
#[component]
pub fn MemberSsoCard() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_member_sso());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(Some(sso)) => view! {
                        <Card id="single-sign-on" title="Single sign-on"
                            description="Your organization's identity provider. Only Owners change this.">
                            <MemberSsoBody sso/>
                        </Card>
                    }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The sentence for this member, and the status badge beside it.
#[component]
fn MemberSsoBody(sso: MemberSso) -> impl IntoView {
    let MemberSso {
        organization,
        provider,
        required,
        covered,
    } = sso;
    let (badge, text) = match (required, covered) {
        (true, true) => (
            "Required",
            format!(
                "{organization} requires single sign-on through {provider}. Sign in with “Continue with {provider} SSO”: your password, passkeys and connected accounts do not sign you in while this is on."
            ),
        ),
        (true, false) => (
            "Required for its domains",
            format!(
                "{organization} requires single sign-on through {provider} for addresses on its verified domains. Yours is not one of them, so you sign in as before."
            ),
        ),
        (false, _) => (
            "Available",
            format!(
                "{organization} offers single sign-on through {provider}: choose “Continue with {provider} SSO” on the sign-in page. Your other ways in keep working unless an Owner makes it required."
            ),
        ),
    };
    let badge_class = if required {
        "self-start whitespace-nowrap rounded-full bg-indigo-50 px-2.5 py-0.5 text-xs font-medium text-indigo-700 dark:bg-indigo-950/60 dark:text-indigo-300"
    } else {
        "self-start whitespace-nowrap rounded-full bg-slate-100 px-2.5 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-300"
    };
    view! {
        <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between" data-testid="member-sso">
            <p class="text-sm text-slate-600 dark:text-slate-300">{text}</p>
            <span class=badge_class>{badge}</span>
        </div>
    }
}
