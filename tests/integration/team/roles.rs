//! Teams: who may do what (the role matrix), bad inputs, the last Owner, and the 2FA Owners and Admins must keep.

use super::*;

both_databases! {
    async fn an_owner_creates_an_organization_and_is_held_at_two_factor_set_up_until_it_is_on(app) {
        let mut cookie = app.sign_up("Olivia Owner", "owner@acme.test", STRONG_PASSWORD).await;
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
        enable_totp(&app, &mut cookie).await;
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
        let mut crew = crew(&app).await;
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
        enable_totp(&app, &mut crew.member).await;
        ok(&app.call("change_member_role", &[("user_id", &member_id), ("role", "admin")], Some(&crew.owner)).await);
        assert_eq!(role_of(&app, "member@acme.test").await.as_deref(), Some("admin"));
    }
}
