//! The password policy: length, a breached list, context words and zxcvbn.
//!
//! No composition rules (NIST SP 800-63B rev 4, OWASP ASVS 5.0): "mix of
//! types" is advice shown by the meter, never a reason to refuse.

use crate::account::StrengthReport;
use std::collections::HashSet;
use std::sync::LazyLock;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;
/// zxcvbn's cost grows with length; beyond this a password only gets stronger.
const ZXCVBN_MAX_CHARS: usize = 100;
const PRODUCT_WORDS: [&str; 2] = ["statusstack", "status stack"];

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// What the password is checked against besides itself.
pub struct PolicyContext<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

/// Judges an (NFC-normalised) password; `acceptable` is the server's verdict and
/// `problem` names the first rule it breaks.
pub fn evaluate(password: &str, context: &PolicyContext<'_>) -> StrengthReport {
    let length = password.chars().count();
    let lower = password.to_lowercase();
    let mut report = StrengthReport {
        score: 0,
        acceptable: false,
        problem: None,
        suggestions: mix_hints(password),
        length,
    };
    if length == 0 {
        report.problem = Some("Enter a password.".into());
        return report;
    }
    if length > MAX_CHARS {
        report.problem = Some(format!(
            "Use at most {MAX_CHARS} characters ({length} entered)."
        ));
        return report;
    }
    if COMMON_PASSWORDS.contains(lower.as_str()) {
        report.problem =
            Some("This password appears in lists of commonly breached passwords.".into());
        return report;
    }
    if let Some(what) = context_word_in(&lower, context) {
        report.problem = Some(format!("Don't build your password on {what}."));
        return report;
    }
    let inputs = context_inputs(context);
    let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let estimated: String = password.chars().take(ZXCVBN_MAX_CHARS).collect();
    let entropy = zxcvbn::zxcvbn(&estimated, &input_refs);
    report.score = u8::from(entropy.score());
    if let Some(feedback) = entropy.feedback() {
        report
            .suggestions
            .extend(feedback.suggestions().iter().map(|s| s.to_string()));
    }
    if length < MIN_CHARS {
        report.problem = Some(format!(
            "Use at least {MIN_CHARS} characters ({length} so far)."
        ));
        return report;
    }
    if report.score < 3 {
        let warning = entropy
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" {w}"))
            .unwrap_or_default();
        report.problem = Some(format!("This password is too easy to guess.{warning}"));
        return report;
    }
    report.acceptable = true;
    report
}

/// The strength the security checkup records for a password (zxcvbn 0-4,
/// with the user's context words). A password today's policy would refuse
/// (breached, built on the name or email, too short) counts as weak: at most 2.
pub fn strength_score(password: &str, context: &PolicyContext<'_>) -> u8 {
    let report = evaluate(password, context);
    if report.acceptable {
        report.score
    } else {
        report.score.min(2)
    }
}

fn context_word_in(lower_password: &str, context: &PolicyContext<'_>) -> Option<&'static str> {
    let email = context.email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if !email.is_empty()
        && (lower_password.contains(&email) || (local.len() >= 4 && lower_password.contains(local)))
    {
        return Some("your email address");
    }
    let name = context.name.to_lowercase();
    let name_words = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4);
    for word in name_words {
        if lower_password.contains(word) {
            return Some("your name");
        }
    }
    let squashed: String = lower_password
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if PRODUCT_WORDS
        .iter()
        .any(|w| lower_password.contains(w) || squashed.contains(w))
    {
        return Some("the product's name");
    }
    None
}

fn context_inputs(context: &PolicyContext<'_>) -> Vec<String> {
    let mut inputs = vec!["statusstack".to_string(), "status".into(), "stack".into()];
    let email = context.email.trim().to_lowercase();
    inputs.extend(
        email
            .split(['@', '.', '_', '-', '+'])
            .filter(|p| !p.is_empty())
            .map(String::from),
    );
    inputs.extend(
        context
            .name
            .to_lowercase()
            .split_whitespace()
            .map(String::from),
    );
    inputs
}

/// The product's "mix of types" advice, as hints only.
fn mix_hints(password: &str) -> Vec<String> {
    let mut missing = Vec::new();
    if !password.chars().any(|c| c.is_lowercase()) {
        missing.push("lower-case letters");
    }
    if !password.chars().any(|c| c.is_uppercase()) {
        missing.push("capitals");
    }
    if !password.chars().any(|c| c.is_numeric()) {
        missing.push("digits");
    }
    if !password.chars().any(|c| !c.is_alphanumeric()) {
        missing.push("symbols or spaces");
    }
    if missing.is_empty() || password.chars().count() >= 20 {
        Vec::new()
    } else {
        vec![format!(
            "Tip: a longer passphrase, or adding {}, makes it harder to guess.",
            missing.join(", ")
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: PolicyContext<'static> = PolicyContext {
        email: "alice.wonder@example.com",
        name: "Alice Wonderland",
    };

    fn problem(password: &str) -> Option<String> {
        evaluate(password, &ALICE).problem
    }

    #[test]
    fn a_long_random_passphrase_is_accepted_without_composition_rules() {
        let report = evaluate("correct horse battery staple orbit", &ALICE);
        assert!(report.acceptable, "{report:?}");
        assert!(report.score >= 3);
    }

    #[test]
    fn length_limits_name_the_rule() {
        assert!(problem("Xk9#mQ2$").unwrap().contains("at least 12"));
        assert!(problem(&"x".repeat(129)).unwrap().contains("at most 128"));
        assert!(problem("").unwrap().contains("Enter"));
    }

    #[test]
    fn breached_passwords_are_refused_even_when_long() {
        assert!(problem("1qaz2wsx3edc").unwrap().contains("breached"));
        assert!(problem("QWERTY123456").unwrap().contains("breached"));
    }

    #[test]
    fn context_words_are_refused() {
        assert!(problem("alice.wonder-2024-x!").unwrap().contains("email"));
        assert!(problem("wonderland rocks 99").unwrap().contains("name"));
        assert!(problem("MyStatusStack!Pass").unwrap().contains("product"));
    }

    #[test]
    fn guessable_long_passwords_are_refused_by_zxcvbn() {
        let report = evaluate("aaaaaaaaaaaaaaaa", &ALICE);
        assert!(!report.acceptable);
        assert!(report.problem.unwrap().contains("too easy"));
    }

    #[test]
    fn mix_of_types_is_only_a_hint() {
        let report = evaluate("purple elephants juggle quietly", &ALICE);
        assert!(report.acceptable, "{report:?}");
        assert!(report.suggestions.iter().any(|s| s.contains("Tip")) || report.length >= 20);
    }

    #[test]
    fn the_recorded_strength_caps_refused_passwords_at_weak() {
        assert!(strength_score("correct horse battery staple orbit", &ALICE) >= 3);
        assert!(strength_score("1qaz2wsx3edc", &ALICE) <= 2);
        assert!(strength_score("Xk9#mQ2$vB", &ALICE) <= 2, "too short");
        assert!(strength_score("wonderland rocks 99 tonight", &ALICE) <= 2);
    }

    #[test]
    fn the_shipped_list_has_ten_thousand_entries() {
        assert_eq!(COMMON_PASSWORDS.len(), 10_000);
    }
}
