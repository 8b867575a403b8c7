//! Teams: the 2FA policy (grace, the gate, reminders) and API keys capped by role.

use super::*;

both_databases! {
    async fn production_organizations_hold_members_without_two_factor_after_the_grace_period(app) {
        let mut crew = crew(&app).await;
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
        enable_totp(&app, &mut crew.viewer).await;
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
        enable_totp(&app, &mut crew.member).await;
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

    async fn the_api_keys_of_a_member_held_at_the_two_factor_gate_stop_working_until_it_is_on(app) {
        let mut crew = crew(&app).await;
        let key = create_key_with(&app, &crew.member, &[("name", "ci"), ("permission", "read"), ("expiry", "30")]).await.unwrap();
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 200);
        ok(&app.call("update_org_policy", &[("name", "Acme"), ("require_two_factor", "on"), ("grace_days", "0")], Some(&crew.owner)).await);
        let held = app.api(Method::GET, "/api/v1/me", &key.token).await;
        assert_eq!(held.status, 403, "{}", held.body);
        let body: Value = serde_json::from_str(&held.body).unwrap();
        assert_eq!(body["error"]["code"], "two_factor_required");
        enable_totp(&app, &mut crew.member).await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &key.token).await.status, 200);
    }
}
