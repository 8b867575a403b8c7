//! Teams over HTTP: the role matrix of every team server function, the 2FA
//! rules (role grants, turning 2FA off, production and "require 2FA" after the
//! grace period), invitations (expired, reused, withdrawn, wrong account,
//! malformed), last-owner rules, API keys capped by role, and the
//! organization's Login History.

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

pub async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap()
}

/// The invitation link's token from the newest mail to `email`.
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    let body: String = sqlx::query(
        "SELECT text_body FROM mail_queue WHERE recipient = $1 AND subject LIKE '%invited you%'
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap()
    .try_get("text_body")
    .unwrap();
    let start = body.find("/join?token=").expect("an invitation link") + "/join?token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
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
    let cookie = app.sign_up(name, email, STRONG_PASSWORD).await;
    enable_totp(app, &cookie).await;
    cookie
}

/// Signs up an Owner with 2FA and their organization.
async fn owner_of(app: &TestApp, org: &str, email: &str) -> String {
    let cookie = secured_user(app, "Olivia Owner", email).await;
    ok(&app
        .call("create_organization", &[("name", org)], Some(&cookie))
        .await);
    cookie
}

/// Invites `email` as `role` and accepts as that (new) person.
async fn join(app: &TestApp, inviter: &str, cookie: &str, email: &str, role: &str) {
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

both_databases! {
    async fn an_owner_creates_an_organization_and_is_held_at_two_factor_set_up_until_it_is_on(app) {
        let cookie = app.sign_up("Olivia Owner", "owner@acme.test", STRONG_PASSWORD).await;
        assert_eq!(team(&app, &cookie).await, None, "in no organization yet");
        for bad in ["", "   ", &"x".repeat(81), "Acme\u{7}"] {
            let error = refused(&app.call("create_organization", &[("name", bad)], Some(&cookie)).await);
            assert!(matches!(error, AppError::Validation { ref field, .. } if field == "name"), "{bad:?}: {error:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0, "nothing stored");
        ok(&app.call("create_organization", &[("name", "  Acme  ")], Some(&cookie)).await);
        // An Owner without 2FA can do nothing but set it up.
        assert!(matches!(requirement(&app, &cookie).await, TwoFactorRequirement::Enforced { .. }));
        assert_eq!(refused(&app.call("get_team", &[], Some(&cookie)).await), AppError::TwoFactorRequired);
        assert_eq!(app.call("list_sessions", &[], Some(&cookie)).await.status, 403);
        let page = app.get("/settings/team", Some(&cookie)).await;
        assert_eq!((page.status, page.location()), (303, Some("/two-factor-setup")));
        assert_eq!(app.get("/two-factor-setup", Some(&cookie)).await.status, 200);
        enable_totp(&app, &cookie).await;
        assert_eq!(requirement(&app, &cookie).await, TwoFactorRequirement::None);
        let team = team(&app, &cookie).await.expect("a team");
        assert_eq!((team.organization.name.as_str(), team.my_role), ("Acme", Role::Owner));
        assert_eq!(app.get("/settings/team", Some(&cookie)).await.status, 200);
        // One organization per person.
        let again = refused(&app.call("create_organization", &[("name", "Second")], Some(&cookie)).await);
        assert!(message(again).contains("already belong"));
        assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_created' AND org_id IS NOT NULL").await, 1);
    }

    async fn every_team_function_allows_exactly_the_roles_it_should(app) {
        let crew = crew(&app).await;
        let actors = [
            ("owner", &crew.owner),
            ("admin", &crew.admin),
            ("member", &crew.member),
            ("viewer", &crew.viewer),
            ("outsider", &crew.outsider),
            ("loner", &crew.loner),
        ];
        // Reading the team: every member; others see no team.
        for (who, cookie) in actors {
            let seen = team(&app, cookie).await;
            match who {
                "outsider" => assert_eq!(seen.unwrap().organization.name, "Globex"),
                "loner" => assert!(seen.is_none()),
                _ => {
                    let seen = seen.unwrap();
                    assert_eq!(seen.organization.name, "Acme", "{who}");
                    assert_eq!(seen.members.len(), 4);
                    let manager = who == "owner" || who == "admin";
                    // 2FA status, activity and invitations are for Owners and Admins.
                    assert_eq!(seen.members.iter().all(|m| m.two_factor.is_some()), manager, "{who}");
                    assert_eq!(seen.members.iter().any(|m| m.last_active.is_some()), manager, "{who}: {seen:?}");
                }
            }
        }
        let denied = |who: &str| match who {
            "member" | "viewer" => AppError::Forbidden,
            _ => AppError::NotFound,
        };
        let acme_viewer = user_id(&app, "viewer@acme.test").await;
        for (index, (who, cookie)) in actors.into_iter().enumerate() {
            let manager = who == "owner" || who == "admin";
            // Invite.
            let email = format!("new{index}@acme.test");
            let reply = app.call("invite_member", &[("email", &email), ("role", "member")], Some(cookie)).await;
            if manager || who == "outsider" { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} invites") }
            // Withdraw an Acme invitation.
            ok(&app.call("invite_member", &[("email", "pending@acme.test"), ("role", "viewer")], Some(&crew.owner)).await);
            let pending = pending_invitation_id(&app, "pending@acme.test").await;
            let reply = app.call("revoke_invitation", &[("invitation_id", &pending)], Some(cookie)).await;
            if manager { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} withdraws") }
            // Change a role, then remove, on a fresh subject.
            let target = subject(&app, &crew, &format!("subject{index}@acme.test")).await;
            let reply = app.call("change_member_role", &[("user_id", &target), ("role", "member")], Some(cookie)).await;
            if manager { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} changes a role") }
            let expected = if manager { "member" } else { "viewer" };
            assert_eq!(role_of(&app, &format!("subject{index}@acme.test")).await.as_deref(), Some(expected), "{who}");
            let reply = app.call("remove_member", &[("user_id", &target)], Some(cookie)).await;
            if manager { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} removes") }
            assert_eq!(role_of(&app, &format!("subject{index}@acme.test")).await.is_none(), manager, "{who}");
            // Policy: Owners only.
            let reply = app.call("update_org_policy", &[("name", "Acme"), ("grace_days", "7")], Some(cookie)).await;
            match who {
                "owner" | "outsider" => ok(&reply),
                "admin" => assert_eq!(refused(&reply), AppError::Forbidden),
                _ => assert_eq!(refused(&reply), denied(who), "{who} sets the policy"),
            }
            // Reminders and the organization's history: Owners and Admins.
            let reply = app.call("remind_two_factor", &[], Some(cookie)).await;
            if manager || who == "outsider" { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} reminds") }
            let reply = app.call("org_history", &[("query", "")], Some(cookie)).await;
            if manager || who == "outsider" { ok(&reply) } else { assert_eq!(refused(&reply), denied(who), "{who} reads team events") }
            // No one reaches into another organization.
            if who == "outsider" || who == "loner" {
                for (function, fields) in [
                    ("change_member_role", vec![("user_id", acme_viewer.as_str()), ("role", "member")]),
                    ("remove_member", vec![("user_id", acme_viewer.as_str())]),
                    ("remind_two_factor", vec![("user_id", acme_viewer.as_str())]),
                ] {
                    let reply = app.call(function, &fields, Some(cookie)).await;
                    assert_eq!(refused(&reply), AppError::NotFound, "{who} {function}");
                }
                assert_eq!(role_of(&app, "viewer@acme.test").await.as_deref(), Some("viewer"));
            }
        }
        // Admins do not touch Owners, nor grant Owner.
        let owner_id = user_id(&app, "owner@acme.test").await;
        assert_eq!(refused(&app.call("change_member_role", &[("user_id", &owner_id), ("role", "member")], Some(&crew.admin)).await), AppError::Forbidden);
        assert_eq!(refused(&app.call("remove_member", &[("user_id", &owner_id)], Some(&crew.admin)).await), AppError::Forbidden);
        let member_id = user_id(&app, "member@acme.test").await;
        assert_eq!(refused(&app.call("change_member_role", &[("user_id", &member_id), ("role", "owner")], Some(&crew.admin)).await), AppError::Forbidden);
        assert_eq!(role_of(&app, "owner@acme.test").await.as_deref(), Some("owner"));
        // Members and Viewers see the team events page refused; managers see the card.
        let page = app.get("/settings/team", Some(&crew.member)).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("Team security events"));
    }

    async fn bad_team_inputs_are_refused_and_change_nothing(app) {
        let crew = crew(&app).await;
        let before = app.count("SELECT COUNT(*) FROM invitations").await;
        for (email, role, field) in [
            ("not-an-email", "member", "email"),
            ("", "member", "email"),
            ("new@acme.test", "owner", "role"),
            ("new@acme.test", "superuser", "role"),
            ("new@acme.test", "", "role"),
            ("member@acme.test", "viewer", "email"),
        ] {
            let error = refused(&app.call("invite_member", &[("email", email), ("role", role)], Some(&crew.owner)).await);
            assert!(matches!(error, AppError::Validation { field: ref f, .. } if f == field), "{email} {role}: {error:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, before);
        for bad in ["", "abc", "../../etc/passwd", &"a".repeat(10_000)] {
            for function in ["change_member_role", "remove_member"] {
                let error = refused(&app.call(function, &[("user_id", bad), ("role", "member")], Some(&crew.owner)).await);
                assert!(matches!(error, AppError::Validation { .. }), "{function} {bad:.20}: {error:?}");
            }
            let error = refused(&app.call("revoke_invitation", &[("invitation_id", bad)], Some(&crew.owner)).await);
            assert!(matches!(error, AppError::Validation { .. }));
        }
        assert_eq!(refused(&app.call("remove_member", &[("user_id", NIL_UUID)], Some(&crew.owner)).await), AppError::NotFound);
        assert_eq!(refused(&app.call("revoke_invitation", &[("invitation_id", NIL_UUID)], Some(&crew.owner)).await), AppError::NotFound);
        let member_id = user_id(&app, "member@acme.test").await;
        let error = refused(&app.call("change_member_role", &[("user_id", &member_id), ("role", "root")], Some(&crew.owner)).await);
        assert!(matches!(error, AppError::Validation { .. }));
        for (grace, production, field) in [("15", None, "grace_days"), ("-1", None, "grace_days"), ("seven", None, "grace_days"), ("", None, "grace_days"), ("3", Some("maybe"), "policy")] {
            let mut fields = vec![("name", "Acme"), ("grace_days", grace)];
            if let Some(value) = production {
                fields.push(("production", value));
            }
            let error = refused(&app.call("update_org_policy", &fields, Some(&crew.owner)).await);
            assert!(matches!(error, AppError::Validation { field: ref f, .. } if f == field), "{grace}: {error:?}");
        }
        let error = refused(&app.call("update_org_policy", &[("name", " "), ("grace_days", "3")], Some(&crew.owner)).await);
        assert!(matches!(error, AppError::Validation { field: ref f, .. } if f == "name"));
        assert_eq!(app.count("SELECT COUNT(*) FROM organizations WHERE production = 1 OR grace_days <> 7 OR name <> 'Acme' AND name <> 'Globex'").await, 0);
        // Removing yourself is leaving, not removal.
        let owner_id = user_id(&app, "owner@acme.test").await;
        assert!(message(refused(&app.call("remove_member", &[("user_id", &owner_id)], Some(&crew.owner)).await)).contains("Leave organization"));
    }

    async fn invitations_are_single_use_expire_and_belong_to_one_address(app) {
        let owner = owner_of(&app, "Acme", "owner@acme.test").await;
        // Malformed links say so, whoever opens them.
        for bad in ["", "abc", "../../x", &"a".repeat(10_000)] {
            let error = refused(&app.call("preview_invitation", &[("token", bad)], None).await);
            assert!(message(error).contains("incomplete or damaged"));
        }
        let unknown = refused(&app.call("preview_invitation", &[("token", "A".repeat(43).as_str())], None).await);
        assert!(message(unknown).contains("not valid"));
        ok(&app.call("invite_member", &[("email", "Jane@Example.com"), ("role", "member")], Some(&owner)).await);
        let token = invitation_token(&app, "jane@example.com").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE token_hash LIKE '%' AND email = 'jane@example.com'").await, 1);
        let stored: String = sqlx::query("SELECT token_hash FROM invitations").fetch_one(&app.pool).await.unwrap().get("token_hash");
        assert_ne!(stored, token, "only the hash is stored");
        // Signed out: the preview names the organization, not the whole address.
        let preview = app.call("preview_invitation", &[("token", &token)], None).await;
        ok(&preview);
        let preview: Value = serde_json::from_str(&preview.body).unwrap();
        assert_eq!(preview["organization"], "Acme");
        assert_eq!(preview["email_hint"], "ja…@example.com");
        assert!(preview["for_signed_in_account"].is_null());
        assert_eq!(app.get(&format!("/join?token={token}"), None).await.headers.get("referrer-policy").unwrap(), "no-referrer");
        // The wrong account cannot use it.
        let mallory = app.sign_up("Mallory", "mallory@example.com", STRONG_PASSWORD).await;
        let wrong = refused(&app.call("accept_invitation", &[("token", &token)], Some(&mallory)).await);
        assert!(message(wrong).contains("signed in as mallory@example.com"));
        assert!(role_of(&app, "mallory@example.com").await.is_none());
        // The invited account can, once.
        let jane = app.sign_up("Jane", "jane@example.com", STRONG_PASSWORD).await;
        ok(&app.call("accept_invitation", &[("token", &token)], Some(&jane)).await);
        assert_eq!(role_of(&app, "jane@example.com").await.as_deref(), Some("member"));
        let reused = refused(&app.call("accept_invitation", &[("token", &token)], Some(&jane)).await);
        assert!(message(reused).contains("already used"));
        // Expired.
        ok(&app.call("invite_member", &[("email", "late@example.com"), ("role", "viewer")], Some(&owner)).await);
        let late_token = invitation_token(&app, "late@example.com").await;
        sqlx::query("UPDATE invitations SET expires_at = $1 WHERE email = 'late@example.com'")
            .bind(statusstack::time::now_ms() - 1).execute(&app.pool).await.unwrap();
        let late = app.sign_up("Late", "late@example.com", STRONG_PASSWORD).await;
        assert!(message(refused(&app.call("accept_invitation", &[("token", &late_token)], Some(&late)).await)).contains("expired"));
        assert!(role_of(&app, "late@example.com").await.is_none());
        // Replaced by a newer invitation, and withdrawn.
        ok(&app.call("invite_member", &[("email", "late@example.com"), ("role", "viewer")], Some(&owner)).await);
        let first = invitation_token(&app, "late@example.com").await;
        ok(&app.call("invite_member", &[("email", "late@example.com"), ("role", "member")], Some(&owner)).await);
        let second = invitation_token(&app, "late@example.com").await;
        assert!(message(refused(&app.call("accept_invitation", &[("token", &first)], Some(&late)).await)).contains("withdrawn or replaced"));
        let id = pending_invitation_id(&app, "late@example.com").await;
        ok(&app.call("revoke_invitation", &[("invitation_id", &id)], Some(&owner)).await);
        assert!(message(refused(&app.call("accept_invitation", &[("token", &second)], Some(&late)).await)).contains("withdrawn"));
        assert!(role_of(&app, "late@example.com").await.is_none());
        // Someone already in an organization must leave it first.
        let other = owner_of(&app, "Globex", "boss@globex.test").await;
        ok(&app.call("invite_member", &[("email", "jane@example.com"), ("role", "viewer")], Some(&other)).await);
        let poach = invitation_token(&app, "jane@example.com").await;
        assert!(message(refused(&app.call("accept_invitation", &[("token", &poach)], Some(&jane)).await)).contains("already belong to Acme"));
        // An Admin invitation needs 2FA first.
        ok(&app.call("invite_member", &[("email", "ad@example.com"), ("role", "admin")], Some(&owner)).await);
        let admin_token = invitation_token(&app, "ad@example.com").await;
        let ad = app.sign_up("Ad", "ad@example.com", STRONG_PASSWORD).await;
        assert!(message(refused(&app.call("accept_invitation", &[("token", &admin_token)], Some(&ad)).await)).contains("two-factor"));
        enable_totp(&app, &ad).await;
        ok(&app.call("accept_invitation", &[("token", &admin_token)], Some(&ad)).await);
        assert_eq!(role_of(&app, "ad@example.com").await.as_deref(), Some("admin"));
        let kinds = app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_member_joined'").await;
        assert_eq!(kinds, 2);
        // Housekeeping deletes invitations a month after they expired, and only those.
        let invitations = app.count("SELECT COUNT(*) FROM invitations").await;
        sqlx::query("UPDATE invitations SET expires_at = $1 WHERE email = 'late@example.com'")
            .bind(statusstack::time::now_ms() - 31 * DAY_MS).execute(&app.pool).await.unwrap();
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, invitations - 3);
    }

    async fn the_last_owner_can_neither_leave_nor_be_demoted(app) {
        let crew = crew(&app).await;
        let owner_id = user_id(&app, "owner@acme.test").await;
        let leave = refused(&app.call("leave_organization", &[], Some(&crew.owner)).await);
        assert!(message(leave).contains("last Owner"));
        let demote = refused(&app.call("change_member_role", &[("user_id", &owner_id), ("role", "admin")], Some(&crew.owner)).await);
        assert!(message(demote).contains("at least one Owner"));
        assert_eq!(role_of(&app, "owner@acme.test").await.as_deref(), Some("owner"));
        // With a second Owner (who has 2FA), either may step down.
        let admin_id = user_id(&app, "admin@acme.test").await;
        ok(&app.call("change_member_role", &[("user_id", &admin_id), ("role", "owner")], Some(&crew.owner)).await);
        ok(&app.call("change_member_role", &[("user_id", &owner_id), ("role", "member")], Some(&crew.owner)).await);
        assert_eq!(role_of(&app, "owner@acme.test").await.as_deref(), Some("member"));
        let last = refused(&app.call("leave_organization", &[], Some(&crew.admin)).await);
        assert!(message(last).contains("last Owner"));
        // Others leave freely, and their keys go with them.
        let key = create_key_with(&app, &crew.viewer, &[("name", "ro"), ("permission", "read"), ("expiry", "30")]).await.unwrap();
        ok(&app.call("leave_organization", &[], Some(&crew.viewer)).await);
        assert!(role_of(&app, "viewer@acme.test").await.is_none());
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 401);
        assert!(team(&app, &crew.viewer).await.is_none());
        assert_eq!(refused(&app.call("leave_organization", &[], Some(&crew.viewer)).await), AppError::NotFound);
    }

    async fn owner_and_admin_roles_need_two_factor_and_keep_it(app) {
        let crew = crew(&app).await;
        let member_id = user_id(&app, "member@acme.test").await;
        for role in ["admin", "owner"] {
            let error = refused(&app.call("change_member_role", &[("user_id", &member_id), ("role", role)], Some(&crew.owner)).await);
            assert!(message(error).contains("must turn on two-factor authentication"), "{role}");
        }
        assert_eq!(role_of(&app, "member@acme.test").await.as_deref(), Some("member"));
        // An Owner or Admin cannot turn 2FA off until they hand the role over.
        for cookie in [&crew.owner, &crew.admin] {
            let error = refused(&app.call("disable_two_factor", &[], Some(cookie)).await);
            assert!(message(error).contains("Hand the role over"));
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL AND email LIKE '%acme.test'").await, 2);
        let admin_id = user_id(&app, "admin@acme.test").await;
        ok(&app.call("change_member_role", &[("user_id", &admin_id), ("role", "member")], Some(&crew.owner)).await);
        ok(&app.call("disable_two_factor", &[], Some(&crew.admin)).await);
        // A member with 2FA can be promoted.
        enable_totp(&app, &crew.member).await;
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "admin")], Some(&crew.owner)).await);
        assert_eq!(role_of(&app, "member@acme.test").await.as_deref(), Some("admin"));
    }

    async fn production_organizations_hold_members_without_two_factor_after_the_grace_period(app) {
        let crew = crew(&app).await;
        assert_eq!(requirement(&app, &crew.member).await, TwoFactorRequirement::None);
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("production", "on"), ("grace_days", "3")], Some(&crew.owner)).await);
        // In the grace period: a countdown, and everything still works.
        match requirement(&app, &crew.member).await {
            TwoFactorRequirement::Grace { organization, deadline } => {
                assert_eq!(organization, "Acme");
                let left = deadline - statusstack::time::now_ms();
                assert!(left > 3 * DAY_MS - 60_000 && left <= 3 * DAY_MS, "{left}");
            }
            other => panic!("{other:?}"),
        }
        ok(&app.call("list_sessions", &[], Some(&crew.member)).await);
        assert_eq!(app.get("/settings/security", Some(&crew.member)).await.status, 200);
        // A member of a 2FA organization cannot turn it off either.
        enable_totp(&app, &crew.viewer).await;
        let error = refused(&app.call("disable_two_factor", &[], Some(&crew.viewer)).await);
        assert!(message(error).contains("requires two-factor authentication for every member"));
        // After the grace period: nothing but the 2FA set-up.
        sqlx::query("UPDATE organizations SET policy_since = policy_since - $1").bind(3 * DAY_MS).execute(&app.pool).await.unwrap();
        // Each member's grace runs from the later of the policy and their joining.
        assert!(matches!(requirement(&app, &crew.member).await, TwoFactorRequirement::Grace { .. }));
        sqlx::query("UPDATE memberships SET joined_at = joined_at - $1").bind(3 * DAY_MS).execute(&app.pool).await.unwrap();
        assert!(matches!(requirement(&app, &crew.member).await, TwoFactorRequirement::Enforced { .. }));
        assert_eq!(refused(&app.call("list_sessions", &[], Some(&crew.member)).await), AppError::TwoFactorRequired);
        assert_eq!(refused(&app.call("create_api_key", &[("name", "k"), ("permission", "read"), ("expiry", "30")], Some(&crew.member)).await), AppError::TwoFactorRequired);
        let page = app.get("/settings/api-keys", Some(&crew.member)).await;
        assert_eq!((page.status, page.location()), (303, Some("/two-factor-setup")));
        let setup = app.get("/two-factor-setup", Some(&crew.member)).await;
        assert_eq!(setup.status, 200);
        ok(&app.call("two_factor_status", &[], Some(&crew.member)).await);
        // Setting it up lets them in.
        enable_totp(&app, &crew.member).await;
        assert_eq!(requirement(&app, &crew.member).await, TwoFactorRequirement::None);
        ok(&app.call("list_sessions", &[], Some(&crew.member)).await);
        assert_eq!(app.get("/settings/api-keys", Some(&crew.member)).await.status, 200);
        // The owner's "require 2FA for all" (without production) and a zero grace period hold at once.
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("grace_days", "0")], Some(&crew.owner)).await);
        let late = app.sign_up("Late", "late@acme.test", STRONG_PASSWORD).await;
        join(&app, &crew.owner, &late, "late@acme.test", "viewer").await;
        assert_eq!(requirement(&app, &late).await, TwoFactorRequirement::None, "policy is off");
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("require_two_factor", "on"), ("grace_days", "0")], Some(&crew.owner)).await);
        assert!(matches!(requirement(&app, &late).await, TwoFactorRequirement::Enforced { .. }));
        assert_eq!(refused(&app.call("get_team", &[], Some(&late)).await), AppError::TwoFactorRequired);
        assert!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_policy_changed'").await >= 3);
    }

    async fn members_without_two_factor_are_reminded_by_mail_at_most_daily(app) {
        let crew = crew(&app).await;
        let reply = app.call("remind_two_factor", &[], Some(&crew.admin)).await;
        ok(&reply);
        assert_eq!(reply.body.trim(), "2", "the Member and the Viewer");
        let mails = app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%Set up two-factor authentication for Acme'").await;
        assert_eq!(mails, 2);
        let again = app.call("remind_two_factor", &[], Some(&crew.owner)).await;
        ok(&again);
        assert_eq!(again.body.trim(), "0", "once a day");
        let member_id = user_id(&app, "member@acme.test").await;
        assert!(message(refused(&app.call("remind_two_factor", &[("user_id", &member_id)], Some(&crew.owner)).await)).contains("last 24 hours"));
        sqlx::query("UPDATE memberships SET reminded_at = reminded_at - $1").bind(DAY_MS).execute(&app.pool).await.unwrap();
        let one = app.call("remind_two_factor", &[("user_id", &member_id)], Some(&crew.owner)).await;
        ok(&one);
        assert_eq!(one.body.trim(), "1");
        let owner_id = user_id(&app, "owner@acme.test").await;
        assert!(message(refused(&app.call("remind_two_factor", &[("user_id", &owner_id)], Some(&crew.owner)).await)).contains("2FA on already"));
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_two_factor_reminder'").await, 3);
    }

    async fn api_keys_never_exceed_the_role_and_shrink_with_it(app) {
        let crew = crew(&app).await;
        let create = |cookie: String, permission: &'static str| {
            let app = &app;
            async move { create_key_with(app, &cookie, &[("name", permission), ("permission", permission), ("expiry", "30")]).await }
        };
        // Viewer → read only; Member → up to read/write.
        assert!(create(crew.viewer.clone(), "read").await.is_ok());
        let error = create(crew.viewer.clone(), "write").await.unwrap_err();
        assert!(message(error).contains("As Viewer of Acme, you can create Read-only keys at most"));
        let write = create(crew.member.clone(), "write").await.unwrap();
        assert!(message(create(crew.member.clone(), "admin").await.unwrap_err()).contains("Read/Write"));
        // An Admin's admin key works through the JSON API until the role drops.
        let admin_key = create(crew.admin.clone(), "admin").await.unwrap();
        let mint = |token: String| {
            let app = &app;
            async move {
                let auth = format!("Bearer {token}");
                app.api_at(&app.base, Method::POST, "/api/v1/api-keys", &[("authorization", auth.as_bytes())],
                    Some(r#"{"name":"minted","permission":"read","expires_in_days":30}"#)).await
            }
        };
        let minted = mint(admin_key.token.clone()).await;
        assert_eq!(minted.status, 201, "{}", minted.body);
        let admin_id = user_id(&app, "admin@acme.test").await;
        ok(&app.call("change_member_role", &[("user_id", &admin_id), ("role", "member")], Some(&crew.owner)).await);
        assert_eq!(mint(admin_key.token.clone()).await.status, 403, "now a Read/Write key");
        // A role drop lowers the member's keys at once.
        let member_id = user_id(&app, "member@acme.test").await;
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "viewer")], Some(&crew.owner)).await);
        let permission: String = sqlx::query("SELECT permission FROM api_keys WHERE id = $1").bind(&write.key.id).fetch_one(&app.pool).await.unwrap().get("permission");
        assert_eq!(permission, "read");
        let denied = app.api(Method::DELETE, &format!("/api/v1/sessions/{NIL_UUID}"), &write.token).await;
        assert_eq!(denied.status, 403, "{}", denied.body);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &write.token).await.status, 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'api_key_permission_reduced' AND org_id IS NOT NULL").await, 2);
        // Joining as a Viewer lowers keys made before joining.
        let newcomer = app.sign_up("Nia", "nia@acme.test", STRONG_PASSWORD).await;
        let before = create(newcomer.clone(), "admin").await.unwrap();
        join(&app, &crew.owner, &newcomer, "nia@acme.test", "viewer").await;
        let permission: String = sqlx::query("SELECT permission FROM api_keys WHERE id = $1").bind(&before.key.id).fetch_one(&app.pool).await.unwrap().get("permission");
        assert_eq!(permission, "read");
        // Removal revokes every key of the member.
        ok(&app.call("remove_member", &[("user_id", &member_id)], Some(&crew.owner)).await);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &write.token).await.status, 401);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM api_keys WHERE user_id = '{member_id}' AND revoked_at IS NULL")).await, 0);
        // Outside any organization the cap is gone again.
        assert!(create(crew.member.clone(), "admin").await.is_ok());
    }

    async fn the_organization_history_shows_team_changes_to_owners_and_admins_only(app) {
        let crew = crew(&app).await;
        let member_id = user_id(&app, "member@acme.test").await;
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "viewer")], Some(&crew.admin)).await);
        let reply = app.call("org_history", &[("query", "category=team")], Some(&crew.owner)).await;
        ok(&reply);
        let page: Value = serde_json::from_str(&reply.body).unwrap();
        let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "org_member_joined").count(), 3, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "org_member_invited").count(), 3);
        assert_eq!(kinds.first(), Some(&"org_role_changed"));
        assert!(kinds.contains(&"org_created"));
        let changed = &page["events"][0]["detail"];
        assert!(changed.as_str().unwrap().contains("member@acme.test"), "{changed}");
        // Globex's events stay in Globex.
        let globex = app.call("org_history", &[("query", "")], Some(&crew.outsider)).await;
        let globex: Value = serde_json::from_str(&globex.body).unwrap();
        assert_eq!(globex["events"].as_array().unwrap().len(), 1);
        // A bad filter is refused.
        let bad = refused(&app.call("org_history", &[("query", "range=forever")], Some(&crew.owner)).await);
        assert!(matches!(bad, AppError::Validation { .. }));
        let page = app.get("/settings/team", Some(&crew.owner)).await;
        assert!(page.body.contains("Team security events"));
    }
}

both_databases! {
    async fn an_organization_can_be_created_at_sign_up_and_sign_up_returns_to_the_invitation(app) {
        let bad = app.call("sign_up", &[("name", "Olivia"), ("email", "o@acme.test"), ("password", STRONG_PASSWORD), ("organization", &"x".repeat(81))], None).await;
        assert!(matches!(refused(&bad), AppError::Validation { ref field, .. } if field == "organization"));
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0, "nothing stored");
        let reply = app.call("sign_up", &[("name", "Olivia"), ("email", "o@acme.test"), ("password", STRONG_PASSWORD), ("organization", "Acme")], None).await;
        ok(&reply);
        let owner = reply.session_cookie(app.cookie_name).unwrap();
        assert_eq!(role_of(&app, "o@acme.test").await.as_deref(), Some("owner"));
        // The new Owner goes to the 2FA set-up first.
        let page = app.get("/settings/security", Some(&owner)).await;
        assert_eq!(page.location(), Some("/two-factor-setup"));
        enable_totp(&app, &owner).await;
        ok(&app.call("invite_member", &[("email", "jo@acme.test"), ("role", "viewer")], Some(&owner)).await);
        let token = invitation_token(&app, "jo@acme.test").await;
        let next = format!("/join?token={token}");
        let joined = app.call("sign_up", &[("name", "Jo"), ("email", "jo@acme.test"), ("password", STRONG_PASSWORD), ("next", &next)], None).await;
        ok(&joined);
        assert_eq!(joined.location(), Some(next.as_str()));
        // Only local paths are followed.
        let away = app.call("sign_up", &[("name", "Ev"), ("email", "ev@acme.test"), ("password", STRONG_PASSWORD), ("next", "https://evil.test/")], None).await;
        assert_eq!(away.location(), Some("/settings/security"));
    }
}

both_databases! {
    async fn the_api_keys_of_a_member_held_at_the_two_factor_gate_stop_working_until_it_is_on(app) {
        let crew = crew(&app).await;
        let key = create_key_with(&app, &crew.member, &[("name", "ci"), ("permission", "read"), ("expiry", "30")]).await.unwrap();
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 200);
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("require_two_factor", "on"), ("grace_days", "0")], Some(&crew.owner)).await);
        let held = app.api(Method::GET, "/api/v1/me", &key.token).await;
        assert_eq!(held.status, 403, "{}", held.body);
        let body: Value = serde_json::from_str(&held.body).unwrap();
        assert_eq!(body["error"]["code"], "two_factor_required");
        enable_totp(&app, &crew.member).await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 200);
    }
}

async fn org_checkup(app: &TestApp, cookie: &str) -> statusstack::checkup::SecurityCheckup {
    let reply = app.call("org_checkup", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

both_databases! {
    async fn the_owner_sees_the_organization_checkup_and_each_item_follows_its_condition(app) {
        use statusstack::checkup::{CheckStatus, CheckupItemId as Id};
        let crew = crew(&app).await;
        for (who, cookie, expected) in [
            ("admin", &crew.admin, AppError::Forbidden),
            ("member", &crew.member, AppError::Forbidden),
            ("viewer", &crew.viewer, AppError::Forbidden),
            ("loner", &crew.loner, AppError::NotFound),
        ] {
            assert_eq!(refused(&app.call("org_checkup", &[], Some(cookie)).await), expected, "{who}");
        }
        let status = |checkup: &statusstack::checkup::SecurityCheckup, id| checkup.item(id).unwrap().status;
        // Members without 2FA: a failure while nothing requires it.
        let checkup = org_checkup(&app, &crew.owner).await;
        let coverage = checkup.item(Id::TeamMembersTwoFactor).unwrap();
        assert_eq!(coverage.status, CheckStatus::Fail);
        assert_eq!(coverage.affected.len(), 2, "{:?}", coverage.affected);
        assert!(coverage.affected.iter().any(|a| a.contains("member@acme.test")));
        assert_eq!(status(&checkup, Id::TeamTwoFactorPolicy), CheckStatus::Warn);
        assert_eq!(status(&checkup, Id::ApiKeysWithoutExpiry), CheckStatus::Pass, "no keys yet");
        // Production turns the policy item green and the coverage into a warning…
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("production", "on"), ("grace_days", "7")], Some(&crew.owner)).await);
        let checkup = org_checkup(&app, &crew.owner).await;
        assert_eq!(status(&checkup, Id::TeamTwoFactorPolicy), CheckStatus::Pass);
        assert_eq!(status(&checkup, Id::TeamMembersTwoFactor), CheckStatus::Warn);
        // …and 2FA for both clears it.
        enable_totp(&app, &crew.member).await;
        enable_totp(&app, &crew.viewer).await;
        assert_eq!(status(&org_checkup(&app, &crew.owner).await, Id::TeamMembersTwoFactor), CheckStatus::Pass);
        // A member's key without expiry shows up by member and key, and goes when revoked.
        let key = create_key_with(&app, &crew.member, &[("name", "forever"), ("permission", "read"), ("expiry", "never")]).await.unwrap();
        let checkup = org_checkup(&app, &crew.owner).await;
        let no_expiry = checkup.item(Id::ApiKeysWithoutExpiry).unwrap();
        assert_ne!(no_expiry.status, CheckStatus::Pass);
        assert!(no_expiry.affected.iter().any(|a| a.contains("Max Member: forever")), "{:?}", no_expiry.affected);
        assert_eq!(no_expiry.fix_href, "/settings/team#members");
        // Stale keys across the team: due for rotation and unused.
        sqlx::query("UPDATE api_keys SET created_at = created_at - $1").bind(91 * DAY_MS).execute(&app.pool).await.unwrap();
        let checkup = org_checkup(&app, &crew.owner).await;
        assert_ne!(status(&checkup, Id::ApiKeyRotation), CheckStatus::Pass);
        assert_ne!(status(&checkup, Id::ApiKeysUnused), CheckStatus::Pass);
        ok(&app.call("revoke_api_key", &[("key_id", &key.key.id)], Some(&crew.member)).await);
        let checkup = org_checkup(&app, &crew.owner).await;
        for id in [Id::ApiKeysWithoutExpiry, Id::ApiKeyRotation, Id::ApiKeysUnused] {
            assert_eq!(status(&checkup, id), CheckStatus::Pass, "{id:?}");
        }
        assert_eq!(checkup.score, 100);
        // The Team page shows the card to the Owner only.
        assert!(app.get("/settings/team", Some(&crew.owner)).await.body.contains("Team security checkup"));
        assert!(!app.get("/settings/team", Some(&crew.admin)).await.body.contains("Team security checkup"));
    }
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

both_databases! {
    async fn members_are_told_when_their_role_changes_or_they_are_removed(app) {
        let crew = crew(&app).await;
        let member_id = user_id(&app, "member@acme.test").await;
        let key = create_key_with(&app, &crew.member, &[("name", "rw"), ("permission", "write"), ("expiry", "30")]).await.unwrap();
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "viewer")], Some(&crew.admin)).await);
        assert_eq!(mails_to(&app, "member@acme.test", "Your role in Acme is now Viewer").await, 1);
        let body: String = sqlx::query("SELECT text_body FROM mail_queue WHERE subject LIKE '%is now Viewer%'").fetch_one(&app.pool).await.unwrap().get("text_body");
        assert!(body.contains("from Member to Viewer") && body.contains("lowered to Read-only"), "{body}");
        assert!(!body.contains(&key.token));
        ok(&app.call("remove_member", &[("user_id", &member_id)], Some(&crew.owner)).await);
        assert_eq!(mails_to(&app, "member@acme.test", "You were removed from Acme").await, 1);
    }

    async fn an_owner_deletes_the_organization_in_sudo_mode_after_typing_its_name(app) {
        let crew = crew(&app).await;
        let key = create_key_with(&app, &crew.member, &[("name", "ci"), ("permission", "read"), ("expiry", "30")]).await.unwrap();
        ok(&app.call("invite_member", &[("email", "pending@acme.test"), ("role", "viewer")], Some(&crew.owner)).await);
        for (who, cookie, expected) in [("admin", &crew.admin, AppError::Forbidden), ("member", &crew.member, AppError::Forbidden), ("loner", &crew.loner, AppError::NotFound)] {
            assert_eq!(refused(&app.call("delete_organization", &[("confirm", "Acme")], Some(cookie)).await), expected, "{who}");
        }
        for wrong in ["", "acme", "Acme Inc", "Globex"] {
            let error = refused(&app.call("delete_organization", &[("confirm", wrong)], Some(&crew.owner)).await);
            assert!(matches!(error, AppError::Validation { ref field, .. } if field == "confirm"), "{wrong}: {error:?}");
        }
        // Outside the sudo window the password and a code are needed.
        sqlx::query("UPDATE sessions SET reauthenticated_at = 0").execute(&app.pool).await.unwrap();
        assert_eq!(refused(&app.call("delete_organization", &[("confirm", "Acme")], Some(&crew.owner)).await), AppError::ReauthRequired);
        let wrong_password = refused(&app.call("delete_organization", &[("confirm", "Acme"), ("password", OTHER_STRONG_PASSWORD), ("code", "000000")], Some(&crew.owner)).await);
        assert!(matches!(wrong_password, AppError::Validation { ref field, .. } if field == "password"));
        assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 2, "nothing deleted yet");
        sqlx::query("UPDATE sessions SET reauthenticated_at = $1").bind(statusstack::time::now_ms()).execute(&app.pool).await.unwrap();
        ok(&app.call("delete_organization", &[("confirm", " Acme ")], Some(&crew.owner)).await);
        assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1, "Globex stays");
        assert!(role_of(&app, "member@acme.test").await.is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'pending@acme.test'").await, 0);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 401);
        assert_eq!(mails_to(&app, "member@acme.test", "Acme was deleted").await, 1);
        assert_eq!(mails_to(&app, "owner@acme.test", "Acme was deleted").await, 0);
        assert!(team(&app, &crew.member).await.is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_deleted'").await, 1);
        // The former owner can start again.
        ok(&app.call("create_organization", &[("name", "Acme Two")], Some(&crew.owner)).await);
    }
}
