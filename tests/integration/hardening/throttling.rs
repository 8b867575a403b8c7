//! Guessing budgets that hold under parallel bursts, argon2 that cannot be
//! made to eat the machine, and a 2FA budget that tightens.

use super::*;

/// Sends `count` sign-ins at once: `email_of(n)` with a wrong password, from
/// one address. Returns the errors the replies carried.
async fn burst(
    app: &TestApp,
    count: usize,
    email_of: impl Fn(usize) -> String,
) -> Vec<Option<AppError>> {
    let calls = (0..count).map(|n| {
        let email = email_of(n);
        async move {
            app.call(
                "sign_in",
                &[("email", &email), ("password", "definitely not it")],
                None,
            )
            .await
            .error()
        }
    });
    futures::future::join_all(calls).await
}

fn tally(errors: &[Option<AppError>]) -> (usize, usize, usize) {
    let wrong = errors
        .iter()
        .filter(|e| matches!(e, Some(AppError::InvalidCredentials)))
        .count();
    let limited = errors
        .iter()
        .filter(|e| matches!(e, Some(AppError::RateLimited { .. })))
        .count();
    let busy = errors
        .iter()
        .filter(|e| matches!(e, Some(AppError::Unavailable { .. })))
        .count();
    (wrong, limited, busy)
}

both_databases! {
    /// ASVS 5.0 6.3.1, 15.4.2: every guess counts before the password is
    /// checked, so thirty guesses sent at once get the five free tries that
    /// thirty guesses in a row would, not thirty.
    async fn a_parallel_burst_on_one_account_gets_no_more_guesses(app) {
        app.sign_up("Ivy", "ivy@example.com", STRONG_PASSWORD).await;
        let errors = burst(&app, 30, |_| "ivy@example.com".into()).await;
        let (wrong, limited, busy) = tally(&errors);
        assert_eq!(wrong, 5, "{errors:?}");
        assert_eq!(limited + busy, 25, "{errors:?}");
        let failed = app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sign_in_failed'").await;
        assert_eq!(failed, 5, "only the five checked guesses were failures");
    }

    /// ASVS 5.0 6.3.1, 2.4.1: the per-address window counts before checking
    /// too: sixty guesses at sixty accounts from one address, sent at once,
    /// get fifty checks.
    async fn a_parallel_burst_from_one_address_gets_its_window_and_no_more(app) {
        let app = TestApp::spawn_with(app.db(), &[("PASSWORD_HASH_QUEUE", "100")]).await;
        app.clock.freeze_at((now() / 900_000 + 1) * 900_000 + 1_000);
        let errors = burst(&app, 60, |n| format!("nobody{n}@example.com")).await;
        let (wrong, limited, busy) = tally(&errors);
        assert_eq!((wrong, limited, busy), (50, 10, 0), "{errors:?}");
    }

    /// ASVS 5.0 15.1.3, 15.2.2: argon2 runs in a few slots with a short
    /// queue; past it a sign-in is refused at once with 503 and Retry-After
    /// instead of starting another 19 MiB hashing thread.
    async fn a_full_hashing_queue_answers_503_with_retry_after(app) {
        let app = TestApp::spawn_with(app.db(), &[("PASSWORD_HASH_THREADS", "1"), ("PASSWORD_HASH_QUEUE", "0")]).await;
        app.sign_up("Jo", "jo@example.com", STRONG_PASSWORD).await;
        let held = app.state.password_gate.try_enter().expect("the only slot");
        let counted = app.count("SELECT CAST(COUNT(*) + COALESCE(SUM(hits), 0) AS BIGINT) FROM rate_limits").await;
        let reply = app.sign_in("jo@example.com", STRONG_PASSWORD).await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(app.count("SELECT CAST(COUNT(*) + COALESCE(SUM(hits), 0) AS BIGINT) FROM rate_limits").await, counted, "refused before any database write");
        assert!(matches!(reply.error(), Some(AppError::Unavailable { .. })), "{}", reply.body);
        assert_eq!(reply.headers["retry-after"], "2");
        drop(held);
        let reply = app.sign_in("jo@example.com", STRONG_PASSWORD).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(reply.session_cookie(app.cookie_name).is_some());
    }

    /// ASVS 5.0 6.3.5, 6.6.3: the 2FA guess budget tightens: after three
    /// locks in a day the challenge stays locked for 24 hours whatever the
    /// code, the owner is told someone knows their password (with where
    /// from), and only a reset through the emailed link lifts it early.
    async fn repeated_two_factor_locks_escalate_and_tell_the_owner(app) {
        let mut cookie = app.sign_up("Lou", "lou@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &mut cookie).await;
        app.clock.freeze_at(now());
        let wrong = "zzzzz-zzzzz";
        for lock in 1..=3 {
            let half = challenge(&app, "lou@example.com").await;
            for _ in 1..5 {
                assert_eq!(verify(&app, &half, wrong).await.error(), Some(AppError::InvalidCode), "lock {lock}");
            }
            let expected = if lock < 3 { 15 * 60 } else { 24 * 60 * 60 };
            assert_eq!(verify(&app, &half, wrong).await.error(), Some(AppError::RateLimited { retry_after: expected }), "lock {lock}");
            app.clock.advance(16 * 60 * 1000);
        }
        let mail = app.mail_to("lou@example.com", "Someone knows your password").await;
        assert!(mail.contains("stays locked for 24 hours"), "{mail}");
        assert!(mail.contains("127.0.0.1"), "the mail says where from: {mail}");
        let alarms = app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%Someone knows your password'").await;
        assert_eq!(alarms, 3, "one alarm per lock");

        // Sixteen minutes after the third lock the right code is still refused.
        let half = challenge(&app, "lou@example.com").await;
        let right = code_at(&secret, &app);
        assert!(matches!(verify(&app, &half, &right).await.error(), Some(AppError::RateLimited { retry_after }) if retry_after > 23 * 3600));

        // A reset through the emailed link lifts the lock at once.
        app.call("request_password_reset", &[("email", "lou@example.com")], None).await;
        let token = link_token(&app.mail_to("lou@example.com", "Reset").await, "/reset-password");
        let reply = app.call("reset_password", &[("token", &token), ("new_password", OTHER_STRONG_PASSWORD)], None).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let reply = app.sign_in("lou@example.com", OTHER_STRONG_PASSWORD).await;
        let half = reply.session_cookie(CHALLENGE).expect("a challenge");
        let reply = verify(&app, &half, &code_at(&secret, &app)).await;
        assert!(reply.error().is_none(), "unlocked by the reset: {}", reply.body);
    }

    /// ASVS 5.0 6.3.5: the escalated lock ends by itself after 24 hours.
    async fn an_escalated_two_factor_lock_ends_after_a_day(app) {
        let mut cookie = app.sign_up("Mo", "mo@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &mut cookie).await;
        app.clock.freeze_at(now());
        for _ in 1..=3 {
            let half = challenge(&app, "mo@example.com").await;
            for _ in 1..=5 {
                verify(&app, &half, "zzzzz-zzzzz").await;
            }
            app.clock.advance(16 * 60 * 1000);
        }
        app.clock.advance(23 * 60 * 60 * 1000);
        let half = challenge(&app, "mo@example.com").await;
        assert!(matches!(verify(&app, &half, &code_at(&secret, &app)).await.error(), Some(AppError::RateLimited { .. })), "23 hours on");
        app.clock.advance(60 * 60 * 1000);
        let half = challenge(&app, "mo@example.com").await;
        let reply = verify(&app, &half, &code_at(&secret, &app)).await;
        assert!(reply.error().is_none(), "24 hours on: {}", reply.body);
    }
}
