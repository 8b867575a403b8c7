//! Teams: invitations — single use, expiring, for one address — and joining from sign-up.

use super::*;

both_databases! {
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
        let mut ad = app.sign_up("Ad", "ad@example.com", STRONG_PASSWORD).await;
        assert!(message(refused(&app.call("accept_invitation", &[("token", &admin_token)], Some(&ad)).await)).contains("two-factor"));
        enable_totp(&app, &mut ad).await;
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

    async fn an_organization_can_be_created_at_sign_up_and_sign_up_returns_to_the_invitation(app) {
        let bad = app.call("sign_up", &[("name", "Olivia"), ("email", "o@acme.test"), ("password", STRONG_PASSWORD), ("organization", &"x".repeat(81))], None).await;
        assert!(matches!(refused(&bad), AppError::Validation { ref field, .. } if field == "organization"));
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0, "nothing stored");
        let reply = app.call("sign_up", &[("name", "Olivia"), ("email", "o@acme.test"), ("password", STRONG_PASSWORD), ("organization", "Acme")], None).await;
        ok(&reply);
        assert_eq!(role_of(&app, "o@acme.test").await, None, "the organization waits for the confirmed address");
        app.confirm_address("o@acme.test").await;
        assert_eq!(role_of(&app, "o@acme.test").await.as_deref(), Some("owner"));
        let mut owner = app.sign_in("o@acme.test", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        // The new Owner goes to the 2FA set-up first.
        let page = app.get("/settings/security", Some(&owner)).await;
        assert_eq!(page.location(), Some("/two-factor-setup"));
        enable_totp(&app, &mut owner).await;
        ok(&app.call("invite_member", &[("email", "jo@acme.test"), ("role", "viewer")], Some(&owner)).await);
        let token = invitation_token(&app, "jo@acme.test").await;
        let next = format!("/join?token={token}");
        let joined = app.call("sign_up", &[("name", "Jo"), ("email", "jo@acme.test"), ("password", STRONG_PASSWORD), ("next", &next)], None).await;
        ok(&joined);
        let encoded = format!("/login?signup=sent&next={}", statusstack::ids::encode_query_component(&next));
        assert_eq!(joined.location(), Some(encoded.as_str()));
        // The confirmation link carries the invitation on to the sign-in.
        let confirm = app.mail_to("jo@acme.test", "Confirm your email address").await;
        assert!(confirm.contains(&format!("&next={}", statusstack::ids::encode_query_component(&next))), "{confirm}");
        // Only local paths are followed.
        let away = app.call("sign_up", &[("name", "Ev"), ("email", "ev@acme.test"), ("password", STRONG_PASSWORD), ("next", "https://evil.test/")], None).await;
        assert_eq!(away.location(), Some("/login?signup=sent"));
    }
}
