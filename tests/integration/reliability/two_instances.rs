//! Two servers with one key on one PostgreSQL, the test alternating between
//! them as a load balancer would: what one instance revokes, uses up or
//! locks holds on the other at the very next request.

use crate::helpers::*;
use crate::two_factor::{CHALLENGE, enable_totp};
use statusstack::error::AppError;
use statusstack::server::crypto::totp::code_at_step;

/// Calls a server function on the instance at `base`, as its own page would.
async fn call_on(
    app: &TestApp,
    base: &str,
    name: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> Reply {
    app.call_at(base, name, form, cookie, &[("origin", base)])
        .await
}

fn signed_in_on(reply: &Reply) -> bool {
    match reply.status {
        200 => true,
        303 => false,
        other => panic!("unexpected status {other} for the settings page"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_keys_revoked_on_one_instance_are_refused_on_the_other() {
    bounded(async {
        let app = TestApp::spawn(Db::Postgres).await;
        let (a, b) = (app.base.clone(), app.spawn_second_instance().await);
        let on_a = app
            .sign_up("Twin", "twin@example.com", STRONG_PASSWORD)
            .await;
        let on_b = call_on(
            &app,
            &b,
            "sign_in",
            &[("email", "twin@example.com"), ("password", STRONG_PASSWORD)],
            None,
        )
        .await
        .session_cookie(app.cookie_name)
        .expect("a session from the second instance");
        assert!(
            signed_in_on(&app.get_at(&a, "/settings/security", Some(&on_b)).await),
            "B's session works on A"
        );

        // Signed out on A: B refuses the cookie on its very next request.
        let reply = call_on(&app, &a, "sign_out", &[], Some(&on_a)).await;
        assert_eq!(reply.location(), Some("/login"));
        assert!(!signed_in_on(
            &app.get_at(&b, "/settings/security", Some(&on_a)).await
        ));

        // A key made on A, revoked on B, is refused on A.
        let issued = crate::api_keys::create_key_with(
            &app,
            &on_b,
            &[("name", "deploy"), ("permission", "read"), ("expiry", "90")],
        )
        .await
        .expect("a key");
        let bearer = format!("Bearer {}", issued.token);
        let authorization = [("authorization", bearer.as_bytes())];
        let me_on_a = || app.api_at(&a, reqwest::Method::GET, "/api/v1/me", &authorization, None);
        let me = me_on_a().await;
        assert_eq!(me.status, 200, "{}", me.body);
        let revoked = call_on(
            &app,
            &b,
            "revoke_api_key",
            &[("key_id", &issued.key.id)],
            Some(&on_b),
        )
        .await;
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        let me = me_on_a().await;
        assert_eq!(me.status, 401, "{}", me.body);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_back_off_and_locks_hold_across_instances() {
    bounded(async {
        let app = TestApp::spawn(Db::Postgres).await;
        let (a, b) = (app.base.clone(), app.spawn_second_instance().await);
        app.clock.freeze_at(now());
        let mut cookie = app.sign_up("Code", "code@example.com", STRONG_PASSWORD).await;
        let (secret, step, _codes) = enable_totp(&app, &mut cookie).await;
        let challenge_on = |base: String| {
            let app = &app;
            async move {
                let reply = call_on(app, &base, "sign_in", &[("email", "code@example.com"), ("password", STRONG_PASSWORD)], None).await;
                reply.session_cookie(CHALLENGE).expect("challenge cookie")
            }
        };
        // A fresh code, used on A, is a replay on B.
        app.clock.advance(30_000);
        let code = code_at_step(&secret, step + 1, 6);
        let half = challenge_on(a.clone()).await;
        let used = call_on(&app, &a, "verify_sign_in_code", &[("code", &code)], Some(&half)).await;
        assert!(used.error().is_none(), "{}", used.body);
        let half = challenge_on(b.clone()).await;
        let replayed = call_on(&app, &b, "verify_sign_in_code", &[("code", &code)], Some(&half)).await;
        assert!(
            matches!(replayed.error(), Some(AppError::Validation { ref message, .. }) if message.contains("already used")),
            "{}",
            replayed.body
        );

        // Five wrong codes on A lock the account on B too, right code or not.
        app.clock.advance(30_000);
        let half = challenge_on(a.clone()).await;
        for _ in 0..5 {
            let wrong = call_on(&app, &a, "verify_sign_in_code", &[("code", "000000")], Some(&half)).await;
            assert!(wrong.error().is_some());
        }
        let half = challenge_on(b.clone()).await;
        let right = code_at_step(&secret, step + 2, 6);
        let locked = call_on(&app, &b, "verify_sign_in_code", &[("code", &right)], Some(&half)).await;
        assert!(matches!(locked.error(), Some(AppError::RateLimited { .. })), "{}", locked.body);

        // Wrong passwords on A count toward the back-off on B.
        for _ in 0..4 {
            let wrong = call_on(&app, &a, "sign_in", &[("email", "code@example.com"), ("password", "not the password")], None).await;
            assert_eq!(wrong.error(), Some(AppError::InvalidCredentials));
        }
        let next = call_on(&app, &b, "sign_in", &[("email", "code@example.com"), ("password", "not the password either")], None).await;
        assert_eq!(next.error(), Some(AppError::InvalidCredentials), "the fifth free failure");
        let backed_off = call_on(&app, &b, "sign_in", &[("email", "code@example.com"), ("password", STRONG_PASSWORD)], None).await;
        assert!(matches!(backed_off.error(), Some(AppError::RateLimited { .. })), "{}", backed_off.body);
    })
    .await;
}
