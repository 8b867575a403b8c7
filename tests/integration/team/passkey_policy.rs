//! Teams: "require a passkey for Owners and Admins" — who may turn it on
//! (the Owner, in sudo mode, with a passkey of their own), the grace period
//! and the gate that follows it, the last passkey kept, and the checkups'
//! passkey items.

use super::*;
use crate::helpers::authenticator::{PasskeyDevice, register_passkey};
use statusstack::checkup::{CheckStatus, CheckupItemId as Id};
use statusstack::team::PasskeyRequirement;

const HOUR_MS: i64 = 60 * 60 * 1000;
const HELD: &str = "Your organization requires a passkey for Owners and Admins. Add one in Settings → Authentication.";

/// Acme with an Owner and an Admin (both with 2FA, and their backup codes
/// for sudo mode) and a Member; nobody has a passkey yet.
struct Board {
    owner: String,
    owner_codes: Vec<String>,
    admin: String,
    admin_codes: Vec<String>,
    member: String,
}

async fn board(app: &TestApp) -> Board {
    let mut owner = app
        .sign_up("Olivia Owner", "owner@acme.test", STRONG_PASSWORD)
        .await;
    let (_, _, owner_codes) = enable_totp(app, &mut owner).await;
    ok(&app
        .call("create_organization", &[("name", "Acme")], Some(&owner))
        .await);
    let mut admin = app
        .sign_up("Ada Admin", "admin@acme.test", STRONG_PASSWORD)
        .await;
    let (_, _, admin_codes) = enable_totp(app, &mut admin).await;
    join(app, &owner, &admin, "admin@acme.test", "admin").await;
    let member = app
        .sign_up("Max Member", "member@acme.test", STRONG_PASSWORD)
        .await;
    join(app, &owner, &member, "member@acme.test", "member").await;
    Board {
        owner,
        owner_codes,
        admin,
        admin_codes,
        member,
    }
}

async fn passkey_requirement(app: &TestApp, cookie: &str) -> PasskeyRequirement {
    let reply = app.call("passkey_requirement", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

/// The organization's passkey rule as stored: (require_passkey, since).
async fn stored_rule(app: &TestApp) -> (i64, Option<i64>) {
    let row = sqlx::query(
        "SELECT require_passkey, passkey_policy_since FROM organizations WHERE name = 'Acme'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (row.get("require_passkey"), row.get("passkey_policy_since"))
}

async fn passkey_ids(app: &TestApp, cookie: &str) -> Vec<String> {
    let reply = app.call("list_passkeys", &[], Some(cookie)).await;
    ok(&reply);
    let overview: Value = serde_json::from_str(&reply.body).unwrap();
    overview["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

both_databases! {
    async fn only_the_owner_turns_the_passkey_rule_on_in_sudo_mode_and_with_a_passkey_of_their_own(app) {
        app.clock.freeze_at(now());
        let mut board = board(&app).await;
        let loner = app.sign_up("Lou Loner", "lou@nowhere.test", STRONG_PASSWORD).await;
        // Past the sudo window: sensitive actions ask for the password and a code again.
        app.clock.advance(HOUR_MS);
        let set = |cookie: String, form: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call("update_passkey_policy", &form, Some(&cookie)).await
            }
        };
        let with = |value: &str, password: &str, code: &str| {
            vec![("require_passkey", value.to_string()), ("password", password.to_string()), ("code", code.to_string())]
        };
        let admin_code = board.admin_codes[0].clone();
        for (who, cookie, expected) in [
            ("admin", board.admin.clone(), AppError::Forbidden),
            ("member", board.member.clone(), AppError::Forbidden),
            ("loner", loner.clone(), AppError::NotFound),
        ] {
            assert_eq!(refused(&set(cookie, with("on", STRONG_PASSWORD, &admin_code)).await), expected, "{who}");
        }
        // The Owner without sudo mode, with a wrong password, without the code, with a forged value.
        let (owner, code) = (board.owner.clone(), board.owner_codes[0].clone());
        assert_eq!(refused(&set(owner.clone(), vec![("require_passkey", "on".into())]).await), AppError::ReauthRequired);
        let field = |error: AppError| match error {
            AppError::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(refused(&set(owner.clone(), with("on", "not my password at all", &code)).await)), "password");
        assert_eq!(field(refused(&set(owner.clone(), with("on", STRONG_PASSWORD, "")).await)), "code");
        assert_eq!(field(refused(&set(owner.clone(), with("yes please", STRONG_PASSWORD, &code)).await)), "policy");
        // In sudo mode, but without a passkey of their own: the rule would hold the Owner too.
        let sudo = [("require_passkey", "on"), ("password", STRONG_PASSWORD), ("code", code.as_str())];
        let reply = app.call_rotating("update_passkey_policy", &sudo, &mut board.owner).await;
        assert!(message(refused(&reply)).contains("Add a passkey to your own account first"));
        assert_eq!(stored_rule(&app).await, (0, None), "nothing changed");
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_policy_changed'").await, 0);
        // With a passkey (sudo mode is open now), the rule goes on, from now.
        let mut device = PasskeyDevice::for_app(&app);
        register_passkey(&app, &mut board.owner, &mut device, "Olivia's laptop", &[]).await;
        ok(&app.call("update_passkey_policy", &[("require_passkey", "on")], Some(&board.owner)).await);
        let now = { use statusstack::server::clock::Clock; app.clock.now_ms() };
        assert_eq!(stored_rule(&app).await, (1, Some(now)), "on since now");
        let team = team(&app, &board.owner).await.unwrap();
        assert!(team.organization.require_passkey);
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_policy_changed' AND detail LIKE '%require_passkey%'").await, 1);
        // Both sides see it: the Owner's switch, everyone else's summary.
        let page = app.get("/settings/team", Some(&board.owner)).await;
        assert!(page.body.contains("data-testid=\"passkey-policy-form\"") && page.body.contains("Require a passkey for Owners and Admins"));
        let page = app.get("/settings/team", Some(&board.member)).await;
        assert!(page.body.contains("data-testid=\"passkey-policy\"") && !page.body.contains("passkey-policy-form"));
        // Saving it again changes nothing; unticking turns it off.
        ok(&app.call("update_passkey_policy", &[("require_passkey", "on")], Some(&board.owner)).await);
        assert_eq!(stored_rule(&app).await, (1, Some(now)));
        ok(&app.call("update_passkey_policy", &[], Some(&board.owner)).await);
        assert_eq!(stored_rule(&app).await, (0, None));
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'org_policy_changed'").await, 2);
    }

    async fn an_admin_without_a_passkey_is_held_after_the_grace_period_until_they_add_one(app) {
        app.clock.freeze_at(now());
        let mut board = board(&app).await;
        let mut owner_device = PasskeyDevice::for_app(&app);
        register_passkey(&app, &mut board.owner, &mut owner_device, "Olivia's laptop", &[]).await;
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("grace_days", "2")], Some(&board.owner)).await);
        let key = create_key_with(&app, &board.admin, &[("name", "ci"), ("permission", "admin"), ("expiry", "30")]).await.unwrap();
        ok(&app.call("update_passkey_policy", &[("require_passkey", "on")], Some(&board.owner)).await);
        // In the grace period: a countdown, and everything still works.
        match passkey_requirement(&app, &board.admin).await {
            PasskeyRequirement::Grace { organization, deadline } => {
                assert_eq!(organization, "Acme");
                let left = deadline - { use statusstack::server::clock::Clock; app.clock.now_ms() };
                assert_eq!(left, 2 * DAY_MS);
            }
            other => panic!("{other:?}"),
        }
        ok(&app.call("list_sessions", &[], Some(&board.admin)).await);
        let page = app.get("/settings/security", Some(&board.admin)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("passkey-grace-banner"), "the countdown banner");
        // The Owner has a passkey, and Members are not covered.
        assert_eq!(passkey_requirement(&app, &board.owner).await, PasskeyRequirement::None);
        assert_eq!(passkey_requirement(&app, &board.member).await, PasskeyRequirement::None);
        // After the grace period: the Admin can do nothing but add a passkey.
        app.clock.advance(2 * DAY_MS);
        assert_eq!(
            passkey_requirement(&app, &board.admin).await,
            PasskeyRequirement::Enforced { organization: "Acme".into(), reason: HELD.into() }
        );
        for held in ["list_sessions", "get_team", "list_api_keys", "security_checkup"] {
            let error = refused(&app.call(held, &[], Some(&board.admin)).await);
            assert_eq!(error, AppError::PasskeyRequired, "{held}");
            assert_eq!(error.to_string(), HELD);
        }
        let page = app.get("/settings/api-keys", Some(&board.admin)).await;
        assert_eq!((page.status, page.location()), (303, Some("/settings/authentication")));
        let page = app.get("/settings/authentication", Some(&board.admin)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("data-testid=\"passkey-required\""), "the reason is on the page");
        let refused_key = app.api(Method::GET, "/api/v1/me", &key.token).await;
        assert_eq!(refused_key.status, 403, "{}", refused_key.body);
        let body: Value = serde_json::from_str(&refused_key.body).unwrap();
        assert_eq!(body["error"]["code"], "passkey_required");
        // The Owner (with a passkey) and the Member are not held.
        ok(&app.call("list_sessions", &[], Some(&board.owner)).await);
        ok(&app.call("list_sessions", &[], Some(&board.member)).await);
        assert_eq!(app.get("/settings/api-keys", Some(&board.member)).await.status, 200);
        // The gate lets the Admin add one, in sudo mode (password and a code).
        assert!(passkey_ids(&app, &board.admin).await.is_empty());
        let mut device = PasskeyDevice::for_app(&app);
        let sudo = [("password", STRONG_PASSWORD), ("code", board.admin_codes[0].as_str())];
        register_passkey(&app, &mut board.admin, &mut device, "Ada's phone", &sudo).await;
        assert_eq!(passkey_requirement(&app, &board.admin).await, PasskeyRequirement::None);
        ok(&app.call("list_sessions", &[], Some(&board.admin)).await);
        assert_eq!(app.get("/settings/api-keys", Some(&board.admin)).await.status, 200);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 200);
        // While the rule applies, the last passkey stays.
        let ids = passkey_ids(&app, &board.admin).await;
        let error = message(refused(&app.call("remove_passkey", &[("passkey_id", &ids[0])], Some(&board.admin)).await));
        assert!(error.contains("Acme requires a passkey for Owners and Admins, and this is your last one"), "{error}");
        assert_eq!(passkey_ids(&app, &board.admin).await, ids, "nothing removed");
        // A copied (flagged) passkey does not count: the gate closes again.
        sqlx::query("UPDATE passkeys SET suspected_clone_at = 1 WHERE name = 'Ada''s phone'").execute(&app.pool).await.unwrap();
        assert!(matches!(passkey_requirement(&app, &board.admin).await, PasskeyRequirement::Enforced { .. }));
        sqlx::query("UPDATE passkeys SET suspected_clone_at = NULL").execute(&app.pool).await.unwrap();
        // With the rule off, it may go.
        let owner_sudo = [("password", STRONG_PASSWORD), ("code", board.owner_codes[0].as_str())];
        ok(&app.call_rotating("update_passkey_policy", &owner_sudo, &mut board.owner).await);
        ok(&app.call("remove_passkey", &[("passkey_id", &ids[0])], Some(&board.admin)).await);
        assert!(passkey_ids(&app, &board.admin).await.is_empty());
    }

    async fn the_checkups_name_who_has_no_passkey_until_they_add_one(app) {
        let mut board = board(&app).await;
        let checkup = org_checkup(&app, &board.owner).await;
        let admins = checkup.item(Id::TeamAdminsPasskey).unwrap();
        assert_eq!((admins.status, admins.title.as_str()), (CheckStatus::Warn, "2 Owners and Admins have no passkey"));
        assert_eq!(admins.affected, ["Olivia Owner (owner@acme.test, Owner)", "Ada Admin (admin@acme.test, Admin)"]);
        assert_eq!(admins.fix_href, "/settings/team#policy", "the policy is offered");
        let members = checkup.item(Id::TeamMembersPasskey).unwrap();
        assert_eq!((members.status, members.title.as_str()), (CheckStatus::Warn, "1 Member or Viewer has no passkey"));
        assert_eq!(members.affected, ["Max Member (member@acme.test, Member)"]);
        let personal = app.call("security_checkup", &[], Some(&board.member)).await;
        let personal: statusstack::checkup::SecurityCheckup = serde_json::from_str(&personal.body).unwrap();
        let item = personal.item(Id::Passkey).unwrap();
        assert_eq!((item.status, item.title.as_str(), item.fix_href.as_str()), (CheckStatus::Warn, "Add a passkey", "/settings/authentication"));
        // Each passkey added takes its owner off the lists.
        let mut device = PasskeyDevice::for_app(&app);
        register_passkey(&app, &mut board.owner, &mut device, "Olivia's laptop", &[]).await;
        let checkup = org_checkup(&app, &board.owner).await;
        let admins = checkup.item(Id::TeamAdminsPasskey).unwrap();
        assert_eq!(admins.title, "1 Owner or Admin has no passkey");
        assert_eq!(admins.affected, ["Ada Admin (admin@acme.test, Admin)"]);
        let before = checkup.score;
        register_passkey(&app, &mut board.admin, &mut PasskeyDevice::for_app(&app), "Ada's phone", &[]).await;
        register_passkey(&app, &mut board.member, &mut PasskeyDevice::for_app(&app), "Max's laptop", &[]).await;
        let checkup = org_checkup(&app, &board.owner).await;
        assert_eq!(checkup.item(Id::TeamAdminsPasskey).unwrap().status, CheckStatus::Pass);
        assert_eq!(checkup.item(Id::TeamMembersPasskey).unwrap().status, CheckStatus::Pass);
        assert!(checkup.score > before, "{} > {before}", checkup.score);
        let personal = app.call("security_checkup", &[], Some(&board.member)).await;
        let personal: statusstack::checkup::SecurityCheckup = serde_json::from_str(&personal.body).unwrap();
        assert_eq!(personal.item(Id::Passkey).unwrap().status, CheckStatus::Pass);
        assert_eq!(personal.item(Id::Passkey).unwrap().title, "You have a passkey");
    }
}
