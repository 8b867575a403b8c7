//! What an organization's "Require SSO for members" means for one account,
//! asked by every way in that is not the organization's SSO (password,
//! passkey, connected account, a finished 2FA challenge) and by the API
//! keys. Covered: a member of an organization that requires SSO, whose
//! address is on one of its verified domains, other than its break-glass
//! Owner.

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// The organization whose SSO an account must use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoRequirement {
    pub org_id: String,
    /// The name /login shows: "Example Corp".
    pub display_name: String,
    /// Whether the organization lets its members' API keys keep working.
    pub api_keys_allowed: bool,
}

impl SsoRequirement {
    /// What a refused sign-in reads.
    pub fn message(&self) -> String {
        format!(
            "{} requires single sign-on. Sign in with “Continue with {} SSO” instead.",
            self.display_name, self.display_name
        )
    }
}

/// The SSO requirement covering `user_id`, if any.
pub async fn sso_requirement(
    pool: &AnyPool,
    user_id: &str,
) -> anyhow::Result<Option<SsoRequirement>> {
    let row = sqlx::query(
        "SELECT o.id, c.display_name, o.sso_allow_api_keys
         FROM memberships m
         JOIN organizations o ON o.id = m.org_id
         JOIN sso_connections c ON c.org_id = o.id
         JOIN users u ON u.id = m.user_id
         WHERE m.user_id = $1 AND o.sso_enforced = 1
           AND (o.sso_break_glass_user_id IS NULL OR o.sso_break_glass_user_id <> m.user_id)
           AND EXISTS (SELECT 1 FROM sso_domains d
                       WHERE d.org_id = o.id AND d.verified_at IS NOT NULL
                         AND u.email LIKE '%@' || d.domain)",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .context("Failed to read the SSO requirement")?;
    row.map(|row| {
        Ok(SsoRequirement {
            org_id: row.try_get("id")?,
            display_name: row.try_get("display_name")?,
            api_keys_allowed: row.try_get::<i64, _>("sso_allow_api_keys")? != 0,
        })
    })
    .transpose()
}
