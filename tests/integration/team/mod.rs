//! Teams over HTTP: the role matrix of every team server function, the 2FA
//! rules (role grants, turning 2FA off, production and "require 2FA" after the
//! grace period), invitations (expired, reused, withdrawn, wrong account,
//! malformed), last-owner rules, API keys capped by role, and the
//! organization's Login History.

mod invitations;
mod oversight;
mod passkey_policy;
mod policy;
mod roles;

use crate::api_keys::create_key_with;
use crate::helpers::*;
use crate::two_factor::enable_totp;
use reqwest::Method;
use serde_json::Value;
use sqlx::Row;
use statusstack::error::AppError;
use statusstack::team::{Role, Team, TwoFactorRequirement};

const NIL_UUID: &str = "0190f3a2-7b1c-7d4e-8f00-0123456789ab";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The error a call returned, or a panic naming what succeeded instead.
fn refused(reply: &Reply) -> AppError {
    reply
        .error()
        .unwrap_or_else(|| panic!("expected a refusal, got {} {}", reply.status, reply.body))
}

fn ok(reply: &Reply) {
    assert!(reply.error().is_none(), "{} {}", reply.status, reply.body);
}

fn message(error: AppError) -> String {
    match error {
        AppError::Validation { message, .. } => message,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The invitation link's token from the newest mail to `email`.
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    link_token(&app.mail_to(email, "invited to join").await, "/join")
}

async fn team(app: &TestApp, cookie: &str) -> Option<Team> {
    let reply = app.call("get_team", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

async fn requirement(app: &TestApp, cookie: &str) -> TwoFactorRequirement {
    let reply = app.call("two_factor_requirement", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

/// Signs up a person with 2FA on; returns their cookie.
async fn secured_user(app: &TestApp, name: &str, email: &str) -> String {
    let mut cookie = app.sign_up(name, email, STRONG_PASSWORD).await;
    enable_totp(app, &mut cookie).await;
    cookie
}

/// Signs up an Owner with 2FA and their organization.
pub(crate) async fn owner_of(app: &TestApp, org: &str, email: &str) -> String {
    let cookie = secured_user(app, "Olivia Owner", email).await;
    ok(&app
        .call("create_organization", &[("name", org)], Some(&cookie))
        .await);
    cookie
}

/// Invites `email` as `role` and accepts as that (new) person.
pub(crate) async fn join(app: &TestApp, inviter: &str, cookie: &str, email: &str, role: &str) {
    ok(&app
        .call(
            "invite_member",
            &[("email", email), ("role", role)],
            Some(inviter),
        )
        .await);
    let token = invitation_token(app, email).await;
    ok(&app
        .call("accept_invitation", &[("token", &token)], Some(cookie))
        .await);
}

/// An organization with one person in each role, and an outsider who owns another.
struct Crew {
    owner: String,
    admin: String,
    member: String,
    viewer: String,
    outsider: String,
    loner: String,
}

async fn crew(app: &TestApp) -> Crew {
    let owner = owner_of(app, "Acme", "owner@acme.test").await;
    let admin = secured_user(app, "Ada Admin", "admin@acme.test").await;
    join(app, &owner, &admin, "admin@acme.test", "admin").await;
    let member = app
        .sign_up("Max Member", "member@acme.test", STRONG_PASSWORD)
        .await;
    join(app, &owner, &member, "member@acme.test", "member").await;
    let viewer = app
        .sign_up("Vic Viewer", "viewer@acme.test", STRONG_PASSWORD)
        .await;
    join(app, &owner, &viewer, "viewer@acme.test", "viewer").await;
    let outsider = owner_of(app, "Globex", "owner@globex.test").await;
    let loner = app
        .sign_up("Lou Loner", "lou@nowhere.test", STRONG_PASSWORD)
        .await;
    Crew {
        owner,
        admin,
        member,
        viewer,
        outsider,
        loner,
    }
}

/// Adds a Viewer whose role and membership the matrix changes.
async fn subject(app: &TestApp, crew: &Crew, email: &str) -> String {
    let cookie = app.sign_up("Sam Subject", email, STRONG_PASSWORD).await;
    join(app, &crew.owner, &cookie, email, "viewer").await;
    user_id(app, email).await
}

async fn role_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query(
        "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
    .map(|row| row.try_get("role").unwrap())
}

async fn pending_invitation_id(app: &TestApp, email: &str) -> String {
    sqlx::query("SELECT id FROM invitations WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap()
}

async fn org_checkup(app: &TestApp, cookie: &str) -> statusstack::checkup::SecurityCheckup {
    let reply = app.call("org_checkup", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

async fn mails_to(app: &TestApp, email: &str, subject_part: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM mail_queue WHERE recipient = $1 AND subject LIKE $2")
        .bind(email)
        .bind(format!("%{subject_part}%"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .get("n")
}
