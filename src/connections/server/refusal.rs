//! A refused round trip: what the person reads and the event's reason.

use crate::connections::ConnectionProblem;
use crate::server::identity::ProviderFailure;
use crate::server::identity::flow::AnswerProblem;

/// A refused round trip to a sign-in provider.
pub type Refusal = crate::server::identity::account::Refusal<ConnectionProblem>;

impl From<ProviderFailure> for ConnectionProblem {
    fn from(failure: ProviderFailure) -> ConnectionProblem {
        match failure {
            ProviderFailure::Unavailable(_) => ConnectionProblem::Unavailable,
            ProviderFailure::CodeRefused => ConnectionProblem::CodeRefused,
            ProviderFailure::InvalidToken(_) => ConnectionProblem::Unverifiable,
        }
    }
}

impl From<AnswerProblem> for ConnectionProblem {
    fn from(problem: AnswerProblem) -> ConnectionProblem {
        match problem {
            AnswerProblem::Denied => ConnectionProblem::Denied,
            // No `state`, another one, or no usable code: start again.
            AnswerProblem::Mismatch(_) => ConnectionProblem::Expired,
        }
    }
}
