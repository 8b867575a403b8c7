//! Teams: the organization history and checkup, the notices members get, and deleting the organization.

use super::*;

both_databases! {
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

    async fn the_owner_sees_the_organization_checkup_and_each_item_follows_its_condition(app) {
        use statusstack::checkup::{CheckStatus, CheckupItemId as Id};
        let mut crew = crew(&app).await;
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
        enable_totp(&app, &mut crew.member).await;
        enable_totp(&app, &mut crew.viewer).await;
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
        // Only passkeys are left; with one each, the sheet is clean.
        let left: Vec<Id> = checkup.to_fix().map(|item| item.id).collect();
        assert_eq!(left, [Id::TeamAdminsPasskey, Id::TeamMembersPasskey]);
        assert!(checkup.score < 100);
        for cookie in [&mut crew.owner, &mut crew.admin, &mut crew.member, &mut crew.viewer] {
            let mut device = crate::helpers::authenticator::PasskeyDevice::for_app(&app);
            crate::helpers::authenticator::register_passkey(&app, cookie, &mut device, "Laptop", &[]).await;
        }
        assert_eq!(org_checkup(&app, &crew.owner).await.score, 100);
        // The Team page shows the card to the Owner only.
        assert!(app.get("/settings/team", Some(&crew.owner)).await.body.contains("Team security checkup"));
        assert!(!app.get("/settings/team", Some(&crew.admin)).await.body.contains("Team security checkup"));
    }

    async fn members_are_told_when_their_role_changes_or_they_are_removed(app) {
        let crew = crew(&app).await;
        let member_id = user_id(&app, "member@acme.test").await;
        let key = create_key_with(&app, &crew.member, &[("name", "rw"), ("permission", "write"), ("expiry", "30")]).await.unwrap();
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "viewer")], Some(&crew.admin)).await);
        assert_eq!(mails_to(&app, "member@acme.test", "Your role in Acme is now Viewer").await, 1);
        let body = app.mail_to("member@acme.test", "is now Viewer").await;
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
