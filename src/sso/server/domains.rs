//! Domains: the Owner claims one, we give a TXT record to create, and
//! "Verify" looks it up through `AppState::dns`. A domain is verified for
//! one organization at most; only addresses on verified domains are
//! matched to the organization at sign-in.

use super::recheck::{self, Lookup};
use super::{Change, owned_org, record_change, store};
use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::state::AppState;
use crate::sso::{MAX_DOMAINS, domain_problem, normalize_domain};
use crate::two_factor::server::sudo::confirm_sudo;

/// The domain as sent, checked for shape.
fn checked(domain: &str) -> Result<String, AppError> {
    let domain = normalize_domain(domain);
    match domain_problem(&domain) {
        Some(problem) => Err(AppError::validation("domain", problem)),
        None => Ok(domain),
    }
}

/// Claims `domain` for the caller's organization (sudo mode); refused when
/// another organization has verified it.
pub async fn add(
    state: &AppState,
    session: &AuthSession,
    domain: &str,
    sudo: (Option<String>, Option<String>),
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    let domain = checked(domain)?;
    if let Some(owner) = store::verified_by(&state.pool, &domain).await?
        && owner != org_id
    {
        return Err(AppError::validation(
            "domain",
            format!("{domain} is already verified by another organization."),
        ));
    }
    let existing = store::domains(&state.pool, &org_id).await?;
    if existing.iter().any(|stored| stored.domain == domain) {
        return Err(AppError::validation(
            "domain",
            format!("{domain} is already on the list."),
        ));
    }
    if existing.len() >= MAX_DOMAINS {
        return Err(AppError::validation(
            "domain",
            format!("An organization can claim up to {MAX_DOMAINS} domains."),
        ));
    }
    confirm_sudo(state, session, sudo.0, sudo.1, client).await?;
    let token = RandomToken::generate();
    if !store::insert_domain(&state.pool, &org_id, &domain, token.expose(), state.now()).await? {
        return Err(AppError::validation(
            "domain",
            format!("{domain} is already on the list."),
        ));
    }
    let what = format!("The domain {domain} was added for single sign-on (not verified yet).");
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoDomainAdded,
            what: &what,
        },
        Outcome::Success,
        client,
        serde_json::json!({"domain": domain}),
    )
    .await
}

/// Looks up the domain's TXT record; verified when it holds our value.
/// A missing or wrong record says what was found and changes nothing. For
/// a verified domain whose daily checks found the record gone, this is
/// "Check now": a record that is back clears the misses.
pub async fn verify(
    state: &AppState,
    session: &AuthSession,
    domain: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    let domain = checked(domain)?;
    let stored = store::domains(&state.pool, &org_id)
        .await?
        .into_iter()
        .find(|stored| stored.domain == domain)
        .ok_or_else(|| AppError::validation("domain", format!("{domain} is not on the list.")))?;
    let record_name = recheck::record_name(&domain);
    let expected = recheck::record_value(&stored.token);
    if stored.verified_at.is_some() {
        if stored.missed_checks == 0 {
            return Ok(());
        }
        let message = match recheck::check_now(state, &org_id, &stored).await? {
            Lookup::Ours => None,
            Lookup::OtherValue | Lookup::Missing => Some(format!(
                "The TXT record at {record_name} still does not hold {expected}. Put it back in the domain's DNS and check again."
            )),
            Lookup::Unanswered => Some(unanswered(&record_name)),
        };
        if let Some(message) = message {
            return Err(AppError::validation("domain", message));
        }
        let what =
            format!("The TXT record that proves {domain} is back: the domain stays verified.");
        let detail = serde_json::json!({"domain": domain, "reason": "record_back"});
        return record_verification(
            state,
            (session, &org_id),
            (Outcome::Success, &what),
            client,
            detail,
        )
        .await;
    }
    let now = state.now();
    let problem = match recheck::look_up(state, &domain, &stored.token).await {
        Lookup::Ours => None,
        Lookup::OtherValue => Some((
            "wrong_record",
            format!(
                "The TXT record at {record_name} holds another value. Set it to {expected} and try again."
            ),
        )),
        Lookup::Missing => Some((
            "no_record",
            format!(
                "We found no TXT record at {record_name} with {expected}. DNS changes can take a while to appear; try again in a few minutes."
            ),
        )),
        Lookup::Unanswered => Some(("dns_unavailable", unanswered(&record_name))),
    };
    let verified =
        problem.is_none() && store::record_check(&state.pool, &org_id, &domain, true, now).await?;
    if !verified {
        store::record_check(&state.pool, &org_id, &domain, false, now).await?;
    }
    let problem = match problem {
        Some(problem) => Some(problem),
        None if !verified => Some((
            "verified_elsewhere",
            format!("{domain} is already verified by another organization."),
        )),
        None => None,
    };
    if let Some((reason, message)) = problem {
        let detail = serde_json::json!({"domain": domain, "reason": reason});
        record_verification(
            state,
            (session, &org_id),
            (Outcome::Failure, ""),
            client,
            detail,
        )
        .await?;
        return Err(AppError::validation("domain", message));
    }
    let what = format!(
        "The domain {domain} was verified: addresses on it can sign in through your single sign-on."
    );
    let detail = serde_json::json!({"domain": domain});
    record_verification(
        state,
        (session, &org_id),
        (Outcome::Success, &what),
        client,
        detail,
    )
    .await
}

/// What to say when DNS gave no answer about `record_name`.
fn unanswered(record_name: &str) -> String {
    format!("We could not look up {record_name} just now. Please try again in a few minutes.")
}

/// Records a "Domain verification" of the organization by the Owner, and
/// on success mails every Owner `what`.
async fn record_verification(
    state: &AppState,
    (actor, org_id): (&AuthSession, &str),
    (outcome, what): (Outcome, &str),
    client: &ClientMeta,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let change = Change {
        actor,
        org_id,
        kind: EventKind::SsoDomainVerified,
        what,
    };
    record_change(state, change, outcome, client, detail).await
}

/// Removes a claimed domain (sudo mode); its members are no longer
/// matched, nor covered by "Require SSO".
pub async fn remove(
    state: &AppState,
    session: &AuthSession,
    domain: &str,
    sudo: (Option<String>, Option<String>),
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    let domain = checked(domain)?;
    confirm_sudo(state, session, sudo.0, sudo.1, client).await?;
    if !store::remove_domain(&state.pool, &org_id, &domain).await? {
        return Err(AppError::validation(
            "domain",
            format!("{domain} is not on the list."),
        ));
    }
    let what = format!("The domain {domain} was removed from single sign-on.");
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoDomainRemoved,
            what: &what,
        },
        Outcome::Success,
        client,
        serde_json::json!({"domain": domain}),
    )
    .await
}
