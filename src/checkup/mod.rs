//! The security checkup: a score and a checklist computed live from the
//! account (password, 2FA, passkeys, backup codes, sessions, API keys). Each
//! item links to the place that fixes it.
//!
//! The types are generic over what is checked: the personal checkup fills
//! them from one account, and any other list (an organization's, say) can be
//! built from [`CheckupItem`]s and scored with [`SecurityCheckup::from_items`].

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// What one check found.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize
)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CheckStatus {
    /// Something to fix now; earns nothing.
    Fail,
    /// Worth fixing; earns half its weight.
    Warn,
    /// Fine; earns its whole weight.
    Pass,
}

crate::text_enum!(CheckStatus);

impl CheckStatus {
    /// The share of an item's weight it earns, in halves.
    fn earned_halves(self) -> u32 {
        match self {
            CheckStatus::Fail => 0,
            CheckStatus::Warn => 1,
            CheckStatus::Pass => 2,
        }
    }
}

/// Which check an item is. The snake_case name is stable: tests, end-to-end
/// specs and the page's `data-check` attribute use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CheckupItemId {
    PasswordStrength,
    PasswordAge,
    TwoFactor,
    /// A passkey: sign-in that cannot be phished.
    Passkey,
    BackupCodes,
    SessionsReview,
    SessionsWithoutTwoFactor,
    ApiKeyRotation,
    ApiKeysUnused,
    ApiKeysWithoutExpiry,
    ApiKeysOverPrivileged,
    /// The organization checkup: members without 2FA.
    TeamMembersTwoFactor,
    /// The organization checkup: 2FA required for everyone.
    TeamTwoFactorPolicy,
    /// The organization checkup: Owners and Admins without a passkey.
    TeamAdminsPasskey,
    /// The organization checkup: Members and Viewers without a passkey.
    TeamMembersPasskey,
}

crate::text_enum!(CheckupItemId);

/// One line of the checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckupItem {
    pub id: CheckupItemId,
    pub status: CheckStatus,
    /// A short headline, e.g. "2 API keys are due for rotation".
    pub title: String,
    /// One or two sentences: what was found and why it matters.
    pub detail: String,
    /// What needs attention, one line each (key names, sessions).
    pub affected: Vec<String>,
    /// Where the fix is: `#two-factor`, `/settings/api-keys#keys`, … (may be
    /// empty on a passing item; the page shows it only for items to fix).
    pub fix_href: String,
    /// The link's text, e.g. "Turn on 2FA".
    pub fix_label: String,
    /// How much the item counts in the score, relative to the others.
    pub weight: u8,
}

impl CheckupItem {
    /// An item with no affected list.
    pub fn new(
        id: CheckupItemId,
        weight: u8,
        status: CheckStatus,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> CheckupItem {
        CheckupItem {
            id,
            status,
            title: title.into(),
            detail: detail.into(),
            affected: Vec::new(),
            fix_href: String::new(),
            fix_label: String::new(),
            weight,
        }
    }

    /// Sets where the fix is.
    pub fn fix(mut self, href: impl Into<String>, label: impl Into<String>) -> CheckupItem {
        self.fix_href = href.into();
        self.fix_label = label.into();
        self
    }

    /// Sets the lines naming what needs attention.
    pub fn affected(mut self, affected: Vec<String>) -> CheckupItem {
        self.affected = affected;
        self
    }

    pub fn passed(&self) -> bool {
        self.status == CheckStatus::Pass
    }
}

/// A scored checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityCheckup {
    /// 0-100; 100 when every item passes.
    pub score: u8,
    /// Failures first, then warnings, then passes; heavier items first within each.
    pub items: Vec<CheckupItem>,
}

impl SecurityCheckup {
    /// Scores `items` and puts the most urgent first.
    pub fn from_items(mut items: Vec<CheckupItem>) -> SecurityCheckup {
        items.sort_by_key(|item| (item.status, std::cmp::Reverse(item.weight)));
        SecurityCheckup {
            score: score(&items),
            items,
        }
    }

    /// The item with this id, if the checkup has it.
    pub fn item(&self, id: CheckupItemId) -> Option<&CheckupItem> {
        self.items.iter().find(|item| item.id == id)
    }

    /// The items that did not pass.
    pub fn to_fix(&self) -> impl Iterator<Item = &CheckupItem> {
        self.items.iter().filter(|item| !item.passed())
    }

    pub fn grade(&self) -> Grade {
        Grade::of(
            self.score,
            self.items.iter().any(|i| i.status == CheckStatus::Fail),
        )
    }
}

/// The weighted score: each item earns its whole weight when it passes, half
/// when it warns, nothing when it fails; 100 for an empty list.
pub fn score(items: &[CheckupItem]) -> u8 {
    let possible: u32 = items.iter().map(|item| 2 * u32::from(item.weight)).sum();
    if possible == 0 {
        return 100;
    }
    let earned: u32 = items
        .iter()
        .map(|item| u32::from(item.weight) * item.status.earned_halves())
        .sum();
    // Rounded to the nearest point; only a clean sheet reaches 100.
    let rounded = (200 * earned + possible) / (2 * possible);
    let capped = if earned < possible {
        rounded.min(99)
    } else {
        100
    };
    u8::try_from(capped).unwrap_or(100)
}

/// The score in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    Excellent,
    Good,
    NeedsAttention,
    AtRisk,
}

impl Grade {
    /// 90+ is Excellent and 70+ Good, but only without a failed item: a
    /// failure always needs attention.
    pub fn of(score: u8, any_failed: bool) -> Grade {
        match score {
            90.. if !any_failed => Grade::Excellent,
            70.. if !any_failed => Grade::Good,
            40.. => Grade::NeedsAttention,
            _ => Grade::AtRisk,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "Excellent",
            Grade::Good => "Good",
            Grade::NeedsAttention => "Needs attention",
            Grade::AtRisk => "At risk",
        }
    }
}

/// The weights of the personal items; with every item present they add up to 100.
pub mod weight {
    pub const TWO_FACTOR: u8 = 26;
    pub const PASSWORD_STRENGTH: u8 = 16;
    pub const PASSKEY: u8 = 8;
    pub const BACKUP_CODES: u8 = 10;
    pub const SESSIONS_WITHOUT_TWO_FACTOR: u8 = 8;
    pub const SESSIONS_REVIEW: u8 = 6;
    pub const PASSWORD_AGE: u8 = 6;
    pub const KEY_ROTATION: u8 = 6;
    pub const KEYS_OVER_PRIVILEGED: u8 = 6;
    pub const KEYS_UNUSED: u8 = 4;
    pub const KEYS_WITHOUT_EXPIRY: u8 = 4;
}

/// "1 key", "3 keys".
pub fn plural(count: i64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    fn item(id: CheckupItemId, weight: u8, status: CheckStatus) -> CheckupItem {
        CheckupItem::new(id, weight, status, "t", "d")
    }

    #[test]
    fn all_passing_scores_100_and_any_shortfall_less() {
        let pass = |w| item(CheckupItemId::TwoFactor, w, CheckStatus::Pass);
        assert_eq!(score(&[pass(30), pass(20)]), 100);
        assert_eq!(score(&[]), 100);
        let nearly = [
            pass(99),
            item(CheckupItemId::PasswordAge, 1, CheckStatus::Warn),
        ];
        assert_eq!(score(&nearly), 99, "rounding never hides a warning");
    }

    #[test]
    fn warnings_earn_half_and_failures_nothing() {
        let items = [
            item(CheckupItemId::TwoFactor, 30, CheckStatus::Fail),
            item(CheckupItemId::PasswordStrength, 20, CheckStatus::Warn),
            item(CheckupItemId::BackupCodes, 50, CheckStatus::Pass),
        ];
        assert_eq!(score(&items), 60);
        assert_eq!(score(&items[..1]), 0);
        assert_eq!(score(&items[1..2]), 50);
    }

    #[test]
    fn the_checkup_orders_failures_first_and_grades_them() {
        let checkup = SecurityCheckup::from_items(vec![
            item(CheckupItemId::PasswordAge, 6, CheckStatus::Pass),
            item(CheckupItemId::SessionsReview, 6, CheckStatus::Warn),
            item(CheckupItemId::BackupCodes, 10, CheckStatus::Fail),
            item(CheckupItemId::TwoFactor, 30, CheckStatus::Pass),
        ]);
        let order: Vec<_> = checkup.items.iter().map(|i| i.id).collect();
        assert_eq!(
            order,
            [
                CheckupItemId::BackupCodes,
                CheckupItemId::SessionsReview,
                CheckupItemId::TwoFactor,
                CheckupItemId::PasswordAge
            ]
        );
        assert_eq!(checkup.score, 75);
        assert_eq!(checkup.grade(), Grade::NeedsAttention);
        assert_eq!(checkup.to_fix().count(), 2);
        assert!(checkup.item(CheckupItemId::ApiKeysUnused).is_none());
    }

    #[test]
    fn grades_follow_the_score_but_a_failure_caps_them() {
        assert_eq!(Grade::of(100, false), Grade::Excellent);
        assert_eq!(Grade::of(95, true), Grade::NeedsAttention);
        assert_eq!(Grade::of(75, false), Grade::Good);
        assert_eq!(Grade::of(50, false), Grade::NeedsAttention);
        assert_eq!(Grade::of(20, true), Grade::AtRisk);
    }

    #[test]
    fn ids_serialise_as_their_stable_names() {
        for id in CheckupItemId::iter() {
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{}\"", id.as_str()));
        }
        assert_eq!(
            serde_json::to_string(&CheckStatus::Warn).unwrap(),
            "\"warn\""
        );
    }
}
