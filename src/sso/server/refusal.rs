//! Why an SSO round trip ended without signing anyone in: what the page
//! says and what the event records.

use crate::server::identity::ProviderFailure;
use crate::sso::SsoProblem;

/// A refusal: what the page says and what the event records.
pub struct Refusal {
    pub problem: SsoProblem,
    pub reason: &'static str,
    pub user_id: Option<String>,
}

impl Refusal {
    pub fn new(problem: SsoProblem, reason: &'static str) -> Refusal {
        Refusal {
            problem,
            reason,
            user_id: None,
        }
    }
}

impl From<ProviderFailure> for Refusal {
    fn from(failure: ProviderFailure) -> Refusal {
        let problem = match failure {
            ProviderFailure::Unavailable(_) => SsoProblem::Unavailable,
            ProviderFailure::CodeRefused => SsoProblem::CodeRefused,
            ProviderFailure::InvalidToken(_) => SsoProblem::Unverifiable,
        };
        Refusal::new(problem, failure.reason())
    }
}
