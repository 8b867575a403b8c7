//! What a round trip through a provider may leave behind on our side: a
//! refusal to show, or a new account made from the provider's identity.

use super::flow::AnswerProblem;
use super::{ProviderFailure, ProviderIdentity};
use crate::account::CurrentUser;
use crate::error::AppError;
use crate::server::auth::store::users;
use crate::server::crypto::RandomToken;
use crate::server::db::new_id;
use crate::server::password::{self, Password};
use crate::server::state::AppState;

/// A refused round trip: the problem the person reads (each room has its
/// own list), and the event's reason.
pub struct Refusal<P> {
    pub problem: P,
    pub reason: &'static str,
    /// The account the attempt concerned, when known (its history shows it).
    pub user_id: Option<String>,
}

impl<P> Refusal<P> {
    pub fn new(problem: P, reason: &'static str) -> Refusal<P> {
        Refusal {
            problem,
            reason,
            user_id: None,
        }
    }
}

impl<P: From<ProviderFailure>> From<ProviderFailure> for Refusal<P> {
    fn from(failure: ProviderFailure) -> Refusal<P> {
        Refusal::new(P::from(failure), failure.reason())
    }
}

impl<P: From<AnswerProblem>> From<AnswerProblem> for Refusal<P> {
    fn from(problem: AnswerProblem) -> Refusal<P> {
        Refusal::new(P::from(problem), problem.reason())
    }
}

/// Makes an account for `email`, which the provider verified: the address
/// counts as confirmed, and there is no password until a reset link sets
/// one. `None` when an account took the address a moment ago.
pub async fn insert_passwordless_user(
    state: &AppState,
    identity: &ProviderIdentity,
    email: &str,
) -> Result<Option<CurrentUser>, AppError> {
    // A hash of a secret nobody holds: the password form never matches it.
    let unusable = RandomToken::generate();
    let hash =
        password::hash_password(&state.password_gate, Password::new(unusable.expose())).await?;
    let now = state.now();
    let user = CurrentUser {
        id: new_id(),
        name: identity.display_name(email),
        email: email.to_string(),
        password_changed_at: now,
        created_at: now,
        email_verified: true,
        has_password: false,
    };
    Ok(users::insert_from_provider(&state.pool, &user, &hash)
        .await?
        .then_some(user))
}
