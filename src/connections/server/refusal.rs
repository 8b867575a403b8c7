//! A refused round trip: what the person reads and the event's reason.

use crate::connections::ConnectionProblem;
use crate::server::identity::ProviderFailure;

/// A refused round trip: what the person reads, and the event's reason.
pub struct Refusal {
    pub problem: ConnectionProblem,
    pub reason: &'static str,
    /// The account the attempt concerned, when known (its history shows it).
    pub user_id: Option<String>,
}

impl Refusal {
    pub fn new(problem: ConnectionProblem, reason: &'static str) -> Refusal {
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
            ProviderFailure::Unavailable(_) => ConnectionProblem::Unavailable,
            ProviderFailure::CodeRefused => ConnectionProblem::CodeRefused,
            ProviderFailure::InvalidToken(_) => ConnectionProblem::Unverifiable,
        };
        Refusal::new(problem, failure.reason())
    }
}
