//! The pages a visit of `/settings/security` does not open, as lazy routes:
//! built with `cargo leptos build --split`, each page's code is its own Wasm
//! file that the browser fetches when the page is opened (the server names
//! it in the page's `<head>` for a first visit, so hydration does not wait
//! on a round trip). Without `--split` they are ordinary routes.

use crate::account::view::{LoginPage, SignupPage, VerifyEmailPage};
use crate::checkup::view::SecurityCheckup;
use crate::connections::view::sign_in::ProviderSignIn;
use crate::login_history::view::{HistoryScope, LoginHistory};
use crate::passkeys::view::sign_in::PasskeySignIn;
use crate::recovery::view::links;
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares a page as a lazy route: a unit type whose view is the page.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $page:expr) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $page.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/login`, with the passkey, provider and SSO ways in under the form.
    Login => view! {
        <LoginPage
            passkey=|| view! { <PasskeySignIn/> }
            providers=|| view! { <ProviderSignIn/> }
            sso=|| view! { <crate::sso::view::sign_in::SsoSignInLink/> }/>
    }
);
lazy_page!(
    /// `/login/sso`: email-first organization sign-in.
    SsoSignIn => view! { <crate::sso::view::sign_in::SsoSignInPage/> }
);
lazy_page!(
    /// `/signup`.
    Signup => view! { <SignupPage/> }
);
lazy_page!(
    /// `/login/two-factor`: the second step of a sign-in.
    TwoFactorChallenge => view! { <crate::two_factor::view::challenge::ChallengePage/> }
);
lazy_page!(
    /// `/verify-email`.
    VerifyEmail => view! { <VerifyEmailPage/> }
);
lazy_page!(
    /// `/forgot-password`.
    ForgotPassword => view! { <links::ForgotPasswordPage/> }
);
lazy_page!(
    /// `/reset-password`.
    ResetPassword => view! { <links::ResetPasswordPage/> }
);
lazy_page!(
    /// `/confirm-email`.
    ConfirmEmail => view! { <links::ConfirmEmailPage/> }
);
lazy_page!(
    /// `/cancel-email-change`.
    CancelEmailChange => view! { <links::CancelEmailChangePage/> }
);
lazy_page!(
    /// `/this-wasnt-me`.
    NotMe => view! { <links::NotMePage/> }
);
lazy_page!(
    /// `/recovered`.
    Recovered => view! { <links::RecoveredPage/> }
);
lazy_page!(
    /// `/join`: accepting an organization's invitation.
    Join => view! { <crate::team::view::join::JoinPage/> }
);
lazy_page!(
    /// `/two-factor-setup`: the set-up an organization's policy requires.
    TwoFactorSetup => view! { <crate::two_factor::view::setup::TwoFactorSetupPage/> }
);
lazy_page!(
    /// `/settings/api-keys`.
    ApiKeys => view! { <crate::api_keys::view::ApiKeysPage/> }
);
lazy_page!(
    /// `/settings/authentication`.
    Authentication => view! { <super::settings::AuthenticationPage/> }
);
lazy_page!(
    /// `/settings/team`, with the organization's checkup and events.
    Team => view! {
        <crate::team::view::TeamPage
            checkup=|| view! { <SecurityCheckup organization=true/> }
            events=|| view! { <LoginHistory scope=HistoryScope::Organization/> }/>
    }
);
