//! The offer to add a passkey after a sign-in: due for half an hour after
//! signing in to an account without one, gone once it has one, and put away
//! for 30 days by "Not now".

use super::*;

async fn offer(app: &TestApp, cookie: &str) -> Value {
    let reply = app.call("passkey_offer", &[], Some(cookie)).await;
    assert!(reply.error().is_none(), "{}", reply.body);
    json(&reply)
}

both_databases! {
    async fn the_offer_follows_a_sign_in_and_not_now_puts_it_away_for_30_days(app) {
        let mut cookie = app.sign_up("Hal", "hal@example.com", STRONG_PASSWORD).await;
        assert_eq!(offer(&app, &cookie).await, serde_json::json!({"needs_password": false}), "just signed in: one click adds it");
        app.clock.advance(11 * 60 * 1000);
        assert_eq!(offer(&app, &cookie).await["needs_password"], true, "the sudo window closed: adding asks for the password");
        app.clock.advance(20 * 60 * 1000);
        assert_eq!(offer(&app, &cookie).await, Value::Null, "only for a while after signing in");

        let fresh = app.sign_in("hal@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        assert!(offer(&app, &fresh).await.is_object(), "every sign-in offers it again");
        assert_eq!(app.call("dismiss_passkey_offer", &[], None).await.error(), Some(AppError::Unauthenticated));
        assert!(app.call("dismiss_passkey_offer", &[], Some(&fresh)).await.error().is_none());
        assert_eq!(offer(&app, &fresh).await, Value::Null);
        app.clock.advance(29 * 24 * 60 * 60 * 1000);
        let later = app.sign_in("hal@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        assert_eq!(offer(&app, &later).await, Value::Null, "not for 30 days after \"Not now\"");
        app.clock.advance(2 * 24 * 60 * 60 * 1000);
        let much_later = app.sign_in("hal@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        assert!(offer(&app, &much_later).await.is_object(), "offered again after 30 days");

        let mut device = Device::for_app(&app);
        cookie = much_later;
        add_passkey(&app, &mut cookie, &mut device, "Laptop").await;
        assert_eq!(offer(&app, &cookie).await, Value::Null, "an account with a passkey is not offered one");
    }
}
