//! The API-key items of the checkup: rotation due, unused, no expiry, more
//! permission than used. Pure functions over [`KeyFacts`], so any list of
//! keys (one user's, or a team's) can be checked the same way.

use crate::api_keys::{Permission, is_rotation_due, is_unused};
use crate::checkup::{CheckStatus, CheckupItem, CheckupItemId as Id, plural, weight};
use crate::time::{DAY_MS, relative_phrase};

/// A key younger than this is never called over-privileged: it has not had
/// the time to need its permission.
pub const OVER_PRIVILEGE_MIN_AGE_MS: i64 = 30 * DAY_MS;
/// The window in which a key must have needed its permission.
pub const PERMISSION_USE_WINDOW_MS: i64 = 90 * DAY_MS;
/// At most this many names go into an item's sentence; `affected` has them all.
const NAMES_IN_DETAIL: usize = 3;
const FIX_HREF: &str = "/settings/api-keys#keys";

/// A live key (not revoked, not expired) as the checkup sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    /// As shown to the reader, e.g. "ci-deploy" (or "Ada: ci-deploy" in a team list).
    pub name: String,
    pub permission: Permission,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// When the current secret was issued by a rotation.
    pub rotated_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The last request that needed Write (and passed).
    pub write_used_at: Option<i64>,
    /// The last request that needed Admin (and passed).
    pub admin_used_at: Option<i64>,
}

impl KeyFacts {
    /// The highest permission the key needed in the last 90 days (Read when
    /// it needed neither Write nor Admin, or was not used at all).
    pub fn permission_needed(&self, now: i64) -> Permission {
        let recent = |at: Option<i64>| at.is_some_and(|at| now - at < PERMISSION_USE_WINDOW_MS);
        if recent(self.admin_used_at) {
            Permission::Admin
        } else if recent(self.write_used_at) {
            Permission::Write
        } else {
            Permission::Read
        }
    }

    /// The rule: a Read/Write or Admin key at least 30 days old that did not
    /// need that level in the last 90 days has more permission than it uses.
    /// Returns the level it did need, the one to replace it with.
    pub fn over_privileged(&self, now: i64) -> Option<Permission> {
        let needed = self.permission_needed(now);
        (self.permission > Permission::Read
            && now - self.created_at >= OVER_PRIVILEGE_MIN_AGE_MS
            && needed < self.permission)
            .then_some(needed)
    }
}

/// The four key items for `keys` (live keys only). With no keys each passes.
pub fn key_items(keys: &[KeyFacts], now: i64) -> Vec<CheckupItem> {
    if keys.is_empty() {
        let none = |id, w| {
            CheckupItem::new(
                id,
                w,
                CheckStatus::Pass,
                "No API keys",
                "There are no API keys to check.",
            )
        };
        return vec![
            none(Id::ApiKeyRotation, weight::KEY_ROTATION),
            none(Id::ApiKeysUnused, weight::KEYS_UNUSED),
            none(Id::ApiKeysWithoutExpiry, weight::KEYS_WITHOUT_EXPIRY),
            none(Id::ApiKeysOverPrivileged, weight::KEYS_OVER_PRIVILEGED),
        ];
    }
    vec![
        rotation(keys, now),
        unused(keys, now),
        without_expiry(keys),
        over_privileged(keys, now),
    ]
}

fn rotation(keys: &[KeyFacts], now: i64) -> CheckupItem {
    let due: Vec<&KeyFacts> = keys
        .iter()
        .filter(|k| is_rotation_due(k.created_at, k.rotated_at, now))
        .collect();
    let (id, w) = (Id::ApiKeyRotation, weight::KEY_ROTATION);
    if due.is_empty() {
        return CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "API keys rotated within 90 days",
            "Every key's secret is less than 90 days old.",
        );
    }
    CheckupItem::new(
        id,
        w,
        CheckStatus::Warn,
        format!("{} due for rotation", counted(due.len(), "API key", "is", "are")),
        format!(
            "{}: the secret is 90 days old or more. Rotate keys quarterly; the old secret can keep working for a grace period while you update your clients.",
            names(&due)
        ),
    )
    .affected(
        due.iter()
            .map(|k| format!("{}: secret issued {}", k.name, relative_phrase(k.rotated_at.unwrap_or(k.created_at), now)))
            .collect(),
    )
    .fix(FIX_HREF, "Rotate keys")
}

fn unused(keys: &[KeyFacts], now: i64) -> CheckupItem {
    let idle: Vec<&KeyFacts> = keys
        .iter()
        .filter(|k| is_unused(k.created_at, k.last_used_at, now))
        .collect();
    let (id, w) = (Id::ApiKeysUnused, weight::KEYS_UNUSED);
    if idle.is_empty() {
        return CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "API keys in use",
            "Every key was used (or created) in the last 30 days.",
        );
    }
    CheckupItem::new(
        id,
        w,
        CheckStatus::Warn,
        format!("{} unused for 30 days", counted(idle.len(), "API key", "is", "are")),
        format!("{}: not used in 30 days. Revoke keys you no longer need; an unused key is only a risk.", names(&idle)),
    )
    .affected(
        idle.iter()
            .map(|k| match k.last_used_at {
                Some(at) => format!("{}: last used {}", k.name, relative_phrase(at, now)),
                None => format!("{}: never used", k.name),
            })
            .collect(),
    )
    .fix(FIX_HREF, "Revoke unused keys")
}

fn without_expiry(keys: &[KeyFacts]) -> CheckupItem {
    let forever: Vec<&KeyFacts> = keys.iter().filter(|k| k.expires_at.is_none()).collect();
    let (id, w) = (Id::ApiKeysWithoutExpiry, weight::KEYS_WITHOUT_EXPIRY);
    if forever.is_empty() {
        return CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "Every API key expires",
            "No key works forever.",
        );
    }
    CheckupItem::new(
        id,
        w,
        CheckStatus::Warn,
        format!("{} no expiry", counted(forever.len(), "API key", "has", "have")),
        format!(
            "{}: works until revoked. A forgotten or leaked key stays usable; replace it with one that expires (at most a year ahead).",
            names(&forever)
        ),
    )
    .affected(forever.iter().map(|k| format!("{}: never expires", k.name)).collect())
    .fix(FIX_HREF, "Replace with expiring keys")
}

fn over_privileged(keys: &[KeyFacts], now: i64) -> CheckupItem {
    let loose: Vec<(&KeyFacts, Permission)> = keys
        .iter()
        .filter_map(|k| k.over_privileged(now).map(|needed| (k, needed)))
        .collect();
    let (id, w) = (Id::ApiKeysOverPrivileged, weight::KEYS_OVER_PRIVILEGED);
    if loose.is_empty() {
        return CheckupItem::new(
            id,
            w,
            CheckStatus::Pass,
            "API keys use their permission",
            "No key holds more permission than it needed in the last 90 days.",
        );
    }
    let listed: Vec<&KeyFacts> = loose.iter().map(|(k, _)| *k).collect();
    CheckupItem::new(
        id,
        w,
        CheckStatus::Warn,
        format!("{} more permission than used", counted(loose.len(), "API key", "has", "have")),
        format!(
            "{}: did not need its permission in the last 90 days. Least privilege: replace it with a key that has only what it uses.",
            names(&listed)
        ),
    )
    .affected(
        loose
            .iter()
            .map(|(k, needed)| format!("{}: {}, needed only {}", k.name, k.permission.label(), needed.label()))
            .collect(),
    )
    .fix(FIX_HREF, "Review key permissions")
}

/// "1 API key is", "3 API keys are".
fn counted(count: usize, noun: &str, one: &str, many: &str) -> String {
    let verb = if count == 1 { one } else { many };
    format!("{} {verb}", plural(count as i64, noun))
}

/// "a, b and c", or "a, b, c and 2 more".
fn names(keys: &[&KeyFacts]) -> String {
    let shown: Vec<&str> = keys
        .iter()
        .take(NAMES_IN_DETAIL)
        .map(|k| k.name.as_str())
        .collect();
    let rest = keys.len() - shown.len();
    match (shown.as_slice(), rest) {
        ([only], 0) => (*only).to_string(),
        (_, 0) => {
            let (last, first) = shown
                .split_last()
                .map(|(l, f)| (*l, f.join(", ")))
                .unwrap_or_default();
            format!("{first} and {last}")
        }
        _ => format!("{} and {rest} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_734_000_000;

    fn key(name: &str, permission: Permission, age_days: i64) -> KeyFacts {
        KeyFacts {
            name: name.into(),
            permission,
            created_at: NOW - age_days * DAY_MS,
            expires_at: Some(NOW + 30 * DAY_MS),
            rotated_at: None,
            last_used_at: Some(NOW - DAY_MS),
            write_used_at: None,
            admin_used_at: None,
        }
    }

    fn status(keys: &[KeyFacts], id: Id) -> CheckStatus {
        key_items(keys, NOW)
            .into_iter()
            .find(|i| i.id == id)
            .unwrap()
            .status
    }

    #[test]
    fn no_keys_pass_every_key_item() {
        let items = key_items(&[], NOW);
        assert_eq!(items.len(), 4);
        assert!(items.iter().all(|i| i.passed() && i.title == "No API keys"));
    }

    #[test]
    fn rotation_is_due_at_ninety_days_of_the_current_secret() {
        let mut old = key("ci-deploy", Permission::Read, 90);
        let fresh = key("grafana", Permission::Read, 89);
        assert_eq!(
            status(std::slice::from_ref(&fresh), Id::ApiKeyRotation),
            CheckStatus::Pass
        );
        let backup = key("backup", Permission::Read, 200);
        let items = key_items(&[old.clone(), backup, fresh], NOW);
        let item = &items[0];
        assert_eq!(item.title, "2 API keys are due for rotation");
        assert!(
            item.detail.starts_with("ci-deploy and backup:"),
            "{}",
            item.detail
        );
        assert_eq!(item.fix_href, "/settings/api-keys#keys");
        old.rotated_at = Some(NOW - DAY_MS);
        assert_eq!(status(&[old], Id::ApiKeyRotation), CheckStatus::Pass);
    }

    #[test]
    fn unused_and_never_expiring_keys_are_named() {
        let mut idle = key("old", Permission::Read, 40);
        idle.last_used_at = None;
        idle.expires_at = None;
        let items = key_items(&[idle], NOW);
        let unused = items.iter().find(|i| i.id == Id::ApiKeysUnused).unwrap();
        assert_eq!(unused.affected, ["old: never used"]);
        let forever = items
            .iter()
            .find(|i| i.id == Id::ApiKeysWithoutExpiry)
            .unwrap();
        assert_eq!(
            (forever.status, forever.title.as_str()),
            (CheckStatus::Warn, "1 API key has no expiry")
        );
    }

    #[test]
    fn over_privilege_needs_thirty_days_and_ninety_days_without_the_level() {
        let young = key("new", Permission::Admin, 29);
        assert_eq!(young.over_privileged(NOW), None);
        let mut admin = key("admin", Permission::Admin, 31);
        assert_eq!(admin.over_privileged(NOW), Some(Permission::Read));
        admin.write_used_at = Some(NOW - 10 * DAY_MS);
        assert_eq!(admin.over_privileged(NOW), Some(Permission::Write));
        admin.admin_used_at = Some(NOW - 89 * DAY_MS);
        assert_eq!(admin.over_privileged(NOW), None);
        admin.admin_used_at = Some(NOW - 90 * DAY_MS);
        assert_eq!(admin.over_privileged(NOW), Some(Permission::Write));
        let mut write = key("write", Permission::Write, 100);
        write.write_used_at = Some(NOW - DAY_MS);
        assert_eq!(write.over_privileged(NOW), None);
        assert_eq!(
            key("read", Permission::Read, 400).over_privileged(NOW),
            None
        );
        let items = key_items(&[key("bot", Permission::Admin, 60)], NOW);
        let item = items
            .iter()
            .find(|i| i.id == Id::ApiKeysOverPrivileged)
            .unwrap();
        assert_eq!(item.affected, ["bot: Admin, needed only Read-only"]);
    }

    #[test]
    fn long_name_lists_are_shortened() {
        let keys: Vec<KeyFacts> = (1..=5)
            .map(|n| key(&format!("k{n}"), Permission::Read, 100))
            .collect();
        let refs: Vec<&KeyFacts> = keys.iter().collect();
        assert_eq!(names(&refs), "k1, k2, k3 and 2 more");
        assert_eq!(names(&refs[..3]), "k1, k2 and k3");
        assert_eq!(names(&refs[..1]), "k1");
    }
}
