//! The personal checkup's rules: plain facts about one account in, scored
//! items out. No database here, so every rule is unit-tested.

use super::keys::{KeyFacts, key_items};
use crate::checkup::{
    CheckStatus, CheckupItem, CheckupItemId as Id, SecurityCheckup, plural, weight,
};
use crate::sessions::review_due;
use crate::time::relative_phrase;
use crate::two_factor::{LOW_BACKUP_CODES, Method};

pub use super::password::{PASSWORD_AGE_WARN_MS, STRONG_PASSWORD_SCORE};
use super::password::{no_password, password_age, password_strength};

/// Everything the personal checkup looks at, read in a handful of queries.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckupFacts {
    pub now: i64,
    /// The account has a password (one made from a sign-in provider has
    /// none until it sets one): nothing to guess, nothing to age.
    pub has_password: bool,
    /// zxcvbn 0-4 of the current password; `None` until seen in clear.
    pub password_score: Option<u8>,
    pub password_changed_at: i64,
    pub account_created_at: i64,
    pub sessions_reviewed_at: Option<i64>,
    pub two_factor: Option<Method>,
    /// Usable passkeys (not flagged as cloned).
    pub passkeys: i64,
    pub backup_codes_left: i64,
    /// Live sessions other than the caller's that signed in without a second factor.
    pub sessions_without_two_factor: Vec<SessionFact>,
    /// Live keys: not revoked, not expired.
    pub keys: Vec<KeyFacts>,
}

/// A session as the checkup names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFact {
    /// "Chrome on macOS".
    pub device: String,
    /// "London, GB" or the IP address.
    pub location: String,
    pub last_seen_at: i64,
}

/// Scores the account: every item, most urgent first.
pub fn evaluate(facts: &CheckupFacts) -> SecurityCheckup {
    SecurityCheckup::from_items(personal_items(facts))
}

/// The personal checklist, unscored and in a fixed order.
pub fn personal_items(facts: &CheckupFacts) -> Vec<CheckupItem> {
    let mut items = if facts.has_password {
        vec![
            password_strength(facts.password_score),
            password_age(facts.password_changed_at, facts.now),
        ]
    } else {
        no_password()
    };
    items.extend([two_factor(facts.two_factor), passkey(facts.passkeys)]);
    // Backup codes and 2FA-less sessions only mean something while 2FA is on;
    // with it off the 2FA item already says what to do.
    if facts.two_factor.is_some() {
        items.push(backup_codes(facts.backup_codes_left));
    }
    items.push(sessions_review(facts));
    if facts.two_factor.is_some() {
        items.push(sessions_without_two_factor(
            &facts.sessions_without_two_factor,
            facts.now,
        ));
    }
    items.extend(key_items(&facts.keys, facts.now));
    items
}

fn two_factor(method: Option<Method>) -> CheckupItem {
    let (status, title, detail, fix) = match method {
        None => (
            CheckStatus::Fail,
            "Two-factor authentication is off",
            "Anyone with your password can sign in. Add an authenticator app so a stolen password is not enough.",
            "Turn on 2FA",
        ),
        Some(Method::Sms) => (
            CheckStatus::Warn,
            "Two-factor authentication uses SMS",
            "SMS counts less than an authenticator app: texts can be intercepted or redirected by a SIM swap.",
            "Switch to an authenticator app",
        ),
        Some(Method::Totp) => (
            CheckStatus::Pass,
            "Two-factor authentication is on",
            "You sign in with your password and an authenticator app.",
            "Manage 2FA",
        ),
        Some(Method::Passkey) => (
            CheckStatus::Pass,
            "Two-factor authentication is on",
            "You sign in with your password and a passkey, which a fake site cannot ask for.",
            "Manage 2FA",
        ),
    };
    CheckupItem::new(Id::TwoFactor, weight::TWO_FACTOR, status, title, detail)
        .fix("#two-factor", fix)
}

fn passkey(count: i64) -> CheckupItem {
    if count > 0 {
        CheckupItem::new(
            Id::Passkey,
            weight::PASSKEY,
            CheckStatus::Pass,
            if count == 1 {
                "You have a passkey".to_string()
            } else {
                format!("You have {count} passkeys")
            },
            "A passkey signs you in with your device's fingerprint, face or PIN, and answers only this site, so it cannot be phished.",
        )
    } else {
        CheckupItem::new(
            Id::Passkey,
            weight::PASSKEY,
            CheckStatus::Warn,
            "Add a passkey",
            "A passkey signs you in with your device's fingerprint, face or PIN. Unlike a password or a code, it answers only this site, so a phishing page cannot use it.",
        )
        .fix("/settings/authentication", "Add a passkey")
    }
}

fn backup_codes(left: i64) -> CheckupItem {
    let (id, w) = (Id::BackupCodes, weight::BACKUP_CODES);
    let fix = ("#two-factor", "Generate new backup codes");
    match left {
        ..=0 => CheckupItem::new(
            id,
            w,
            CheckStatus::Fail,
            "No backup codes left",
            "If you lose your phone you will not be able to sign in. Generate a new set and keep it somewhere safe.",
        )
        .fix(fix.0, fix.1),
        1..=LOW_BACKUP_CODES => CheckupItem::new(
            id,
            w,
            CheckStatus::Warn,
            format!("Only {} left", plural(left, "backup code")),
            "Each code works once. Generate a new set before you run out.",
        )
        .fix(fix.0, fix.1),
        _ => CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "Backup codes ready",
            format!("{} unused, in case you lose your phone.", plural(left, "code")),
        ),
    }
}

fn sessions_review(facts: &CheckupFacts) -> CheckupItem {
    let (id, w) = (Id::SessionsReview, weight::SESSIONS_REVIEW);
    let due = review_due(
        facts.sessions_reviewed_at,
        facts.account_created_at,
        facts.now,
    );
    let last = facts
        .sessions_reviewed_at
        .map(|at| format!("Last reviewed {}.", relative_phrase(at, facts.now)));
    if due {
        let last = last.unwrap_or_else(|| "You haven't reviewed them yet.".into());
        CheckupItem::new(
            id,
            w,
            CheckStatus::Warn,
            "Sessions not reviewed in 30 days",
            format!("{last} Look through your signed-in devices monthly and revoke any you don't recognise."),
        )
        .fix("#sessions", "Review sessions")
    } else {
        let last = last
            .unwrap_or_else(|| "Your first monthly review is due 30 days after sign-up.".into());
        CheckupItem::new(id, w, CheckStatus::Pass, "Session review up to date", last)
    }
}

fn sessions_without_two_factor(sessions: &[SessionFact], now: i64) -> CheckupItem {
    let (id, w) = (
        Id::SessionsWithoutTwoFactor,
        weight::SESSIONS_WITHOUT_TWO_FACTOR,
    );
    if sessions.is_empty() {
        return CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "Every session used your second factor",
            "No other device is signed in with only a password.",
        );
    }
    let count = sessions.len() as i64;
    let (verb, pronoun) = if count == 1 {
        ("is", "it")
    } else {
        ("are", "them")
    };
    CheckupItem::new(
        id,
        w,
        CheckStatus::Warn,
        format!("{} signed in without 2FA", plural(count, "session")),
        format!(
            "{} {verb} still signed in with only a password, from before 2FA was on or in its place. Sign {pronoun} out unless you recognise {pronoun}.",
            plural(count, "device")
        ),
    )
    .affected(
        sessions
            .iter()
            .map(|s| {
                format!(
                    "{} · {} · active {}",
                    s.device,
                    s.location,
                    relative_phrase(s.last_seen_at, now)
                )
            })
            .collect(),
    )
    .fix("#sessions", "Sign out sessions without 2FA")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DAY_MS;

    const NOW: i64 = 1_795_734_000_000;

    fn safe() -> CheckupFacts {
        CheckupFacts {
            now: NOW,
            has_password: true,
            password_score: Some(4),
            password_changed_at: NOW - 10 * DAY_MS,
            account_created_at: NOW - 400 * DAY_MS,
            sessions_reviewed_at: Some(NOW - DAY_MS),
            two_factor: Some(Method::Totp),
            passkeys: 1,
            backup_codes_left: 10,
            sessions_without_two_factor: Vec::new(),
            keys: Vec::new(),
        }
    }

    fn status(facts: &CheckupFacts, id: Id) -> Option<CheckStatus> {
        evaluate(facts).item(id).map(|item| item.status)
    }

    #[test]
    fn a_well_kept_account_passes_everything_and_scores_100() {
        let checkup = evaluate(&safe());
        assert_eq!(checkup.score, 100);
        assert_eq!(checkup.to_fix().count(), 0);
        assert_eq!(checkup.items.len(), 11);
        let total: u32 = checkup.items.iter().map(|i| u32::from(i.weight)).sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn an_account_without_a_password_passes_the_password_items() {
        let mut facts = safe();
        facts.has_password = false;
        facts.password_score = None;
        facts.password_changed_at = NOW - 900 * DAY_MS;
        let checkup = evaluate(&facts);
        assert_eq!(checkup.score, 100);
        assert_eq!(checkup.items.len(), 11);
        assert_eq!(
            status(&facts, Id::PasswordStrength),
            Some(CheckStatus::Pass)
        );
        assert_eq!(status(&facts, Id::PasswordAge), Some(CheckStatus::Pass));
    }

    #[test]
    fn password_strength_fails_below_three_and_warns_when_unknown() {
        let mut facts = safe();
        facts.password_score = Some(2);
        assert_eq!(
            status(&facts, Id::PasswordStrength),
            Some(CheckStatus::Fail)
        );
        facts.password_score = None;
        assert_eq!(
            status(&facts, Id::PasswordStrength),
            Some(CheckStatus::Warn)
        );
        facts.password_score = Some(3);
        assert_eq!(
            status(&facts, Id::PasswordStrength),
            Some(CheckStatus::Pass)
        );
    }

    #[test]
    fn an_old_password_is_a_gentle_warning() {
        let mut facts = safe();
        facts.password_changed_at = NOW - 366 * DAY_MS;
        let checkup = evaluate(&facts);
        let item = checkup.item(Id::PasswordAge).unwrap();
        assert_eq!(item.status, CheckStatus::Warn);
        assert!(item.detail.contains("doesn't need changing on a schedule"));
        assert_eq!(checkup.score, 97);
    }

    #[test]
    fn two_factor_off_fails_heavily_and_sms_earns_partial_credit() {
        let mut facts = safe();
        facts.two_factor = Some(Method::Sms);
        let sms = evaluate(&facts);
        assert_eq!(sms.item(Id::TwoFactor).unwrap().status, CheckStatus::Warn);
        assert_eq!(sms.score, 87);
        facts.two_factor = None;
        let off = evaluate(&facts);
        assert_eq!(off.item(Id::TwoFactor).unwrap().status, CheckStatus::Fail);
        assert_eq!(off.item(Id::TwoFactor).unwrap().fix_href, "#two-factor");
        assert!(off.score < sms.score);
        assert!(
            off.item(Id::BackupCodes).is_none(),
            "no 2FA, no backup codes"
        );
        assert!(off.item(Id::SessionsWithoutTwoFactor).is_none());
    }

    #[test]
    fn an_account_without_a_passkey_is_asked_to_add_one() {
        let mut facts = safe();
        facts.passkeys = 0;
        let checkup = evaluate(&facts);
        let item = checkup.item(Id::Passkey).unwrap();
        assert_eq!(item.status, CheckStatus::Warn);
        assert_eq!(item.title, "Add a passkey");
        assert_eq!(item.fix_href, "/settings/authentication");
        assert_eq!(checkup.score, 96);
        (facts.passkeys, facts.two_factor) = (2, None);
        let item = evaluate(&facts).item(Id::Passkey).cloned().unwrap();
        let found = (item.status, item.title.as_str());
        assert_eq!(found, (CheckStatus::Pass, "You have 2 passkeys"), "2FA off");
    }

    #[test]
    fn backup_codes_warn_at_three_and_fail_at_none() {
        let mut facts = safe();
        for (left, expected) in [
            (4, CheckStatus::Pass),
            (3, CheckStatus::Warn),
            (1, CheckStatus::Warn),
            (0, CheckStatus::Fail),
        ] {
            facts.backup_codes_left = left;
            assert_eq!(status(&facts, Id::BackupCodes), Some(expected), "{left}");
        }
    }

    #[test]
    fn sessions_review_follows_the_monthly_rule() {
        let mut facts = safe();
        facts.sessions_reviewed_at = Some(NOW - 31 * DAY_MS);
        assert_eq!(status(&facts, Id::SessionsReview), Some(CheckStatus::Warn));
        facts.sessions_reviewed_at = None;
        facts.account_created_at = NOW - 5 * DAY_MS;
        assert_eq!(status(&facts, Id::SessionsReview), Some(CheckStatus::Pass));
    }

    #[test]
    fn password_only_sessions_are_listed() {
        let mut facts = safe();
        facts.sessions_without_two_factor = vec![SessionFact {
            device: "Firefox on Linux".into(),
            location: "London, GB".into(),
            last_seen_at: NOW - 3 * DAY_MS,
        }];
        let checkup = evaluate(&facts);
        let item = checkup.item(Id::SessionsWithoutTwoFactor).unwrap();
        assert_eq!(item.status, CheckStatus::Warn);
        assert_eq!(item.title, "1 session signed in without 2FA");
        assert_eq!(
            item.affected,
            ["Firefox on Linux · London, GB · active 3 days ago"]
        );
    }
}
