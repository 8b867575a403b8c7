//! Guessing budgets that hold under parallel bursts, argon2 that cannot be
//! made to eat the machine, and a 2FA budget that tightens.

use super::*;

/// Sends `count` sign-ins at once: `email_of(n)` with a wrong password, from
/// one address. Returns the errors the replies carried.
async fn burst(app: &TestApp, count: usize, email_of: impl Fn(usize) -> String) -> Vec<Option<AppError>> {
    let calls = (0..count).map(|n| {
        let email = email_of(n);
        async move {
            app.call("sign_in", &[("email", &email), ("password", "definitely not it")], None)
                .await
                .error()
        }
    });
    futures::future::join_all(calls).await
}

fn tally(errors: &[Option<AppError>]) -> (usize, usize, usize) {
    let wrong = errors.iter().filter(|e| matches!(e, Some(AppError::InvalidCredentials))).count();
    let limited = errors.iter().filter(|e| matches!(e, Some(AppError::RateLimited { .. }))).count();
    let busy = errors.iter().filter(|e| matches!(e, Some(AppError::Unavailable { .. }))).count();
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
        let reply = app.sign_in("jo@example.com", STRONG_PASSWORD).await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert!(matches!(reply.error(), Some(AppError::Unavailable { .. })), "{}", reply.body);
        assert_eq!(reply.headers["retry-after"], "2");
        drop(held);
        let reply = app.sign_in("jo@example.com", STRONG_PASSWORD).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(reply.session_cookie(app.cookie_name).is_some());
    }
}
