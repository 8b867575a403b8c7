//! Why an SSO round trip ended without signing anyone in: what the page
//! says and what the event records.

use crate::server::identity::ProviderFailure;
use crate::server::identity::flow::AnswerProblem;
use crate::sso::SsoProblem;

/// A refused round trip to an organization's identity provider.
pub type Refusal = crate::server::identity::account::Refusal<SsoProblem>;

impl From<ProviderFailure> for SsoProblem {
    fn from(failure: ProviderFailure) -> SsoProblem {
        match failure {
            ProviderFailure::Unavailable(_) => SsoProblem::Unavailable,
            ProviderFailure::CodeRefused => SsoProblem::CodeRefused,
            ProviderFailure::InvalidToken(_) => SsoProblem::Unverifiable,
        }
    }
}

impl From<AnswerProblem> for SsoProblem {
    fn from(problem: AnswerProblem) -> SsoProblem {
        match problem {
            AnswerProblem::Denied => SsoProblem::Denied,
            // No `state`, another one, or no usable code: start again.
            AnswerProblem::Mismatch(_) => SsoProblem::Expired,
        }
    }
}
