//! Limits that hold while other requests change what they depend on.

use super::*;
use crate::api_keys::create_key_with;
use crate::team::{join, owner_of};

both_databases! {
    /// ASVS 5.0 15.4.2, 2.3.4: the role's key cap is checked inside the
    /// transaction that inserts the key, after it locked the team: a Member
    /// demoted to Viewer while creating a Read/Write key never ends up a
    /// Viewer holding one.
    async fn a_demotion_racing_a_key_creation_leaves_no_key_above_the_cap(app) {
        let owner = owner_of(&app, "Acme", "owner@acme.test").await;
        let member = app.sign_up("Max Member", "member@acme.test", STRONG_PASSWORD).await;
        join(&app, &owner, &member, "member@acme.test", "member").await;
        let member_id = user_id(&app, "member@acme.test").await;
        for round in 0..20 {
            let demotion = [("user_id", member_id.as_str()), ("role", "viewer")];
            let request = [("name", "ci"), ("permission", "write"), ("expiry", "30")];
            let demote = app.call("change_member_role", &demotion, Some(&owner));
            let create = create_key_with(&app, &member, &request);
            let (demoted, created) = tokio::join!(demote, create);
            assert!(demoted.error().is_none(), "round {round}: {}", demoted.body);
            let above_cap = app
                .count("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL AND permission IN ('write', 'admin')")
                .await;
            assert_eq!(above_cap, 0, "round {round}: a Viewer holds a Read/Write key (created: {})", created.is_ok());
            sqlx::query("UPDATE api_keys SET revoked_at = 1").execute(&app.pool).await.unwrap();
            let promoted = app.call("change_member_role", &[("user_id", &member_id), ("role", "member")], Some(&owner)).await;
            assert!(promoted.error().is_none(), "{}", promoted.body);
        }
    }

    /// ASVS 5.0 15.4.2: the key limit is counted inside the inserting
    /// transaction with the owner's row locked: six creations racing for the
    /// last free place make one key, not six.
    async fn racing_creations_cannot_pass_the_key_limit(app) {
        let cookie = app.sign_up("Kim", "kim@example.com", STRONG_PASSWORD).await;
        for n in 0..99 {
            let name = format!("key {n}");
            create_key_with(&app, &cookie, &[("name", &name), ("permission", "read"), ("expiry", "30")]).await.unwrap();
        }
        let request = [("name", "racer"), ("permission", "read"), ("expiry", "30")];
        let racers = (0..6).map(|_| create_key_with(&app, &cookie, &request));
        let results = futures::future::join_all(racers).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").await, 100);
    }
}
