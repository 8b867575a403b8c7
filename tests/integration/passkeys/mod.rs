//! Passkeys against a software authenticator (webauthn-authenticator-rs's
//! `SoftPasskey`, which signs as a real one does): adding one in sudo mode,
//! signing in with it alone, and every forged, replayed or foreign answer
//! refused with nothing stored.

mod offer;
mod second_factor;

use crate::helpers::authenticator::{PasskeyDevice as Device, base64_url, register_passkey};
use crate::helpers::*;
use serde_json::Value;
use sqlx::Row;
use statusstack::error::AppError;
use webauthn_rs_proto::{
    AllowCredentials, PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    UserVerificationPolicy,
};

fn json(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("not JSON: {}", reply.body))
}

/// Starts a registration (in sudo mode by password) and returns (handle, options).
async fn start_registration(app: &TestApp, cookie: &mut String) -> (String, String) {
    let reply = app
        .call_rotating(
            "start_passkey_registration",
            &[("password", STRONG_PASSWORD)],
            cookie,
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let ceremony = json(&reply);
    (
        ceremony["handle"].as_str().unwrap().to_string(),
        ceremony["options"].as_str().unwrap().to_string(),
    )
}

/// Adds a passkey from `device` (sudo mode by password); returns its
/// credential id (raw bytes).
async fn add_passkey(
    app: &TestApp,
    cookie: &mut String,
    device: &mut Device,
    name: &str,
) -> Vec<u8> {
    register_passkey(app, cookie, device, name, &[("password", STRONG_PASSWORD)]).await
}

/// Starts a passkey sign-in; returns (handle, options).
async fn start_sign_in(app: &TestApp) -> (String, String) {
    let reply = app.call("start_passkey_sign_in", &[], None).await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let ceremony = json(&reply);
    (
        ceremony["handle"].as_str().unwrap().to_string(),
        ceremony["options"].as_str().unwrap().to_string(),
    )
}

async fn finish_sign_in(app: &TestApp, handle: &str, answer: &str) -> Reply {
    app.call(
        "finish_passkey_sign_in",
        &[
            ("handle", handle),
            ("credential", answer),
            ("next", "/settings/api-keys"),
        ],
        None,
    )
    .await
}

async fn passkeys(app: &TestApp, cookie: &str) -> Vec<Value> {
    let reply = app.call("list_passkeys", &[], Some(cookie)).await;
    assert!(reply.error().is_none(), "{}", reply.body);
    json(&reply)["passkeys"].as_array().unwrap().clone()
}

fn is_credential_error(reply: &Reply) -> bool {
    matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "credential")
}

both_databases! {
    async fn a_passkey_is_added_in_sudo_mode_and_signs_in_by_itself(app) {
        let mut cookie = app.sign_up("Pia", "pia@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "pia@example.com").await;
        app.clock.advance(2 * 60 * 60 * 1000);
        let reply = app.call("start_passkey_registration", &[], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired), "sudo mode first: {}", reply.body);
        let reply = app.call("start_passkey_registration", &[("password", "wrong password here")], Some(&cookie)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "password"));
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "").await;
        let listed = passkeys(&app, &cookie).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["name"], "Passkey", "named after an unknown authenticator model");
        assert_eq!(listed[0]["last_used_at"], Value::Null);
        let mail = app.mail_to("pia@example.com", "A passkey was added to your account").await;
        assert!(mail.contains("/this-wasnt-me?token="), "{mail}");

        let (handle, options) = start_sign_in(&app).await;
        let options_json: Value = serde_json::from_str(&options).unwrap();
        assert_eq!(options_json["userVerification"], "required");
        assert_eq!(options_json["allowCredentials"], serde_json::json!([]), "no account is named before the passkey answers");
        let answer = device.get(&options, &credential_id, &id);
        let reply = finish_sign_in(&app, &handle, &answer).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let session = reply.session_cookie(app.cookie_name).expect("a session from the passkey alone");
        assert!(app.is_signed_in(&session).await);
        let method: String = sqlx::query("SELECT auth_method FROM sessions ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.pool).await.unwrap().get(0);
        assert_eq!(method, "passkey");
        let listed = passkeys(&app, &session).await;
        assert!(listed[0]["last_used_at"].is_i64(), "{listed:?}");
        assert!(listed[0]["last_used_from"].as_str().unwrap().contains("integration-test") || listed[0]["last_used_from"].as_str().unwrap().contains("API client"), "{listed:?}");
        let kinds = app.event_kinds().await;
        assert!(kinds.contains(&"passkey_added".to_string()), "{kinds:?}");
        assert_eq!(kinds.last().map(String::as_str), Some("sign_in"));

        let (handle, options) = start_sign_in(&app).await;
        let answer = device.get(&options, &credential_id, &id);
        assert!(finish_sign_in(&app, &handle, &answer).await.error().is_none(), "a passkey signs in again");
        assert!(finish_sign_in(&app, &handle, &answer).await.error().is_some(), "but never with a replayed answer");
    }

    async fn a_ceremony_is_single_use_expires_and_belongs_to_its_session(app) {
        let mut cookie = app.sign_up("Quin", "quin@example.com", STRONG_PASSWORD).await;
        let mut device = Device::for_app(&app);
        let (handle, options) = start_registration(&app, &mut cookie).await;
        let answer = device.create(&options);
        let mut other = app.sign_in("quin@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let stolen = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&other)).await;
        assert!(is_credential_error(&stolen), "another session cannot finish it: {}", stolen.body);
        let again = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&again), "the ceremony was used up: {}", again.body);

        let (handle, options) = start_registration(&app, &mut other).await;
        let answer = device.create(&options);
        app.clock.advance(5 * 60 * 1000 + 1);
        let late = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&other)).await;
        assert!(is_credential_error(&late), "expired after five minutes: {}", late.body);
        for handle in ["", "nope", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            let reply = app.call("finish_passkey_registration", &[("handle", handle), ("credential", &answer)], Some(&other)).await;
            assert!(is_credential_error(&reply), "{handle:?}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
        assert!(!app.event_kinds().await.contains(&"passkey_added".to_string()));
    }

    async fn malformed_foreign_and_phished_answers_store_nothing(app) {
        let mut cookie = app.sign_up("Ros", "ros@example.com", STRONG_PASSWORD).await;
        let mut device = Device::for_app(&app);
        let bad_answers = [
            "".to_string(),
            "{".to_string(),
            "[1,2,3]".to_string(),
            serde_json::json!({"id": "x", "rawId": "!!", "type": "public-key", "response": {}}).to_string(),
            format!("{{\"padding\": \"{}\"}}", "a".repeat(20_000)),
        ];
        for bad in &bad_answers {
            let (handle, _) = start_registration(&app, &mut cookie).await;
            let reply = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", bad)], Some(&cookie)).await;
            assert!(is_credential_error(&reply), "{}: {}", &bad[..bad.len().min(40)], reply.body);
        }
        // An answer to another ceremony's challenge.
        let (first, options) = start_registration(&app, &mut cookie).await;
        let (second, _) = start_registration(&app, &mut cookie).await;
        let answer = device.create(&options);
        let reply = app.call("finish_passkey_registration", &[("handle", &second), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "{}", reply.body);
        // A phishing site's origin on the same host, and another RP id.
        let (handle, options) = start_registration(&app, &mut cookie).await;
        let mut phished = Device::at("http://localhost:9");
        let answer = phished.create(&options);
        let reply = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "wrong origin: {}", reply.body);
        let (handle, options) = start_registration(&app, &mut cookie).await;
        let mut public_key: PublicKeyCredentialCreationOptions = serde_json::from_str(&options).unwrap();
        public_key.rp.id = "status-example.com".into();
        let mut elsewhere = Device::at("https://status-example.com");
        let answer = elsewhere.create_with(public_key);
        let reply = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "wrong RP id: {}", reply.body);
        // A user-verification flag missing where it is required.
        let (handle, options) = start_registration(&app, &mut cookie).await;
        let mut public_key: PublicKeyCredentialCreationOptions = serde_json::from_str(&options).unwrap();
        if let Some(selection) = public_key.authenticator_selection.as_mut() {
            selection.user_verification = UserVerificationPolicy::Discouraged_DO_NOT_USE;
        }
        let answer = device.create_with(public_key);
        let reply = app.call("finish_passkey_registration", &[("handle", &handle), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "no user verification: {}", reply.body);
        let reply = app.call("finish_passkey_registration", &[("handle", &first), ("credential", &answer)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "{}", reply.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);

        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Laptop").await;
        let (_, options) = start_registration(&app, &mut cookie).await;
        let options: Value = serde_json::from_str(&options).unwrap();
        let excluded = options["excludeCredentials"][0]["id"].as_str().unwrap();
        assert_eq!(base64_url(excluded), credential_id, "the browser is told not to register the same authenticator twice");
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    }

    async fn foreign_unknown_and_unverified_sign_ins_are_refused_and_recorded(app) {
        let mut cookie = app.sign_up("Sam", "sam@example.com", STRONG_PASSWORD).await;
        app.sign_up("Tea", "tea@example.com", STRONG_PASSWORD).await;
        let (sam, tea) = (user_id(&app, "sam@example.com").await, user_id(&app, "tea@example.com").await);
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Phone").await;
        let sessions_before = app.count("SELECT COUNT(*) FROM sessions").await;

        let (handle, options) = start_sign_in(&app).await;
        let answer = device.get(&options, &credential_id, &tea);
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &answer).await), "Sam's passkey presented as Tea's");

        let (handle, options) = start_sign_in(&app).await;
        let mut public_key: PublicKeyCredentialRequestOptions = serde_json::from_str(&options).unwrap();
        public_key.allow_credentials = vec![AllowCredentials { type_: "public-key".into(), id: credential_id.clone(), transports: None }];
        public_key.user_verification = UserVerificationPolicy::Discouraged_DO_NOT_USE;
        let answer = device.get_with(public_key, &sam);
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &answer).await), "no user verification");

        let (handle, options) = start_sign_in(&app).await;
        let (other_handle, _) = start_sign_in(&app).await;
        let answer = device.get(&options, &credential_id, &sam);
        assert!(is_credential_error(&finish_sign_in(&app, &other_handle, &answer).await), "an answer to another challenge");
        assert!(is_credential_error(&finish_sign_in(&app, &handle, "{\"id\":1}").await), "malformed");
        let reply = finish_sign_in(&app, &handle, &answer).await;
        assert!(reply.error().is_none(), "a malformed answer left the ceremony as it was: {}", reply.body);
        let sessions_before = sessions_before + 1;

        sqlx::query("DELETE FROM passkeys").execute(&app.pool).await.unwrap();
        let (handle, options) = start_sign_in(&app).await;
        let answer = device.get(&options, &credential_id, &sam);
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &answer).await), "an unknown credential");

        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, sessions_before, "no session was made");
        let reasons: Vec<String> = sqlx::query("SELECT detail FROM security_events WHERE kind = 'passkey_failed' ORDER BY occurred_at, id")
            .fetch_all(&app.pool).await.unwrap().iter().map(|row| row.get::<String, _>(0)).collect();
        let reasons = reasons.join(" ");
        for reason in ["user_mismatch", "invalid_assertion", "unknown_credential"] {
            assert!(reasons.contains(reason), "{reason} in {reasons}");
        }
    }

    async fn a_counter_that_goes_backwards_is_a_clone_and_is_refused_from_then_on(app) {
        let mut cookie = app.sign_up("Uma", "uma@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "uma@example.com").await;
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Key").await;
        let (handle, options) = start_sign_in(&app).await;
        assert!(finish_sign_in(&app, &handle, &device.get(&options, &credential_id, &id)).await.error().is_none());
        // Another device signed with the same key many times: the stored
        // counter is ahead of what this one sends next.
        let stored: String = sqlx::query_scalar("SELECT credential FROM passkeys").fetch_one(&app.pool).await.unwrap();
        let mut stored: Value = serde_json::from_str(&stored).unwrap();
        stored["cred"]["counter"] = Value::from(100);
        sqlx::query("UPDATE passkeys SET credential = $1").bind(stored.to_string()).execute(&app.pool).await.unwrap();
        let (handle, options) = start_sign_in(&app).await;
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &device.get(&options, &credential_id, &id)).await));
        assert!(app.event_kinds().await.contains(&"passkey_clone_suspected".to_string()));
        app.mail_to("uma@example.com", "One of your passkeys may have been copied").await;
        stored["cred"]["counter"] = Value::from(0);
        sqlx::query("UPDATE passkeys SET credential = $1").bind(stored.to_string()).execute(&app.pool).await.unwrap();
        let (handle, options) = start_sign_in(&app).await;
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &device.get(&options, &credential_id, &id)).await), "flagged for good");
        assert_eq!(passkeys(&app, &cookie).await[0]["suspected_clone"], true);
    }

    async fn renaming_and_removing_are_the_owners_alone(app) {
        let mut cookie = app.sign_up("Val", "val@example.com", STRONG_PASSWORD).await;
        let other = app.sign_up("Wyn", "wyn@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "val@example.com").await;
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Laptop").await;
        let passkey_id = passkeys(&app, &cookie).await[0]["id"].as_str().unwrap().to_string();
        for bad in ["", "   ", &"x".repeat(65), "tab\there"] {
            let reply = app.call("rename_passkey", &[("passkey_id", &passkey_id), ("name", bad)], Some(&cookie)).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "name"), "{bad:?}: {}", reply.body);
        }
        let reply = app.call("rename_passkey", &[("passkey_id", &passkey_id), ("name", "Mine now")], Some(&other)).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        let reply = app.call("remove_passkey", &[("passkey_id", &passkey_id), ("password", STRONG_PASSWORD)], Some(&other)).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        let reply = app.call("rename_passkey", &[("passkey_id", "../etc"), ("name", "x")], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        assert!(app.call("rename_passkey", &[("passkey_id", &passkey_id), ("name", "  Work laptop ")], Some(&cookie)).await.error().is_none());
        assert_eq!(passkeys(&app, &cookie).await[0]["name"], "Work laptop");

        app.clock.advance(2 * 60 * 60 * 1000);
        let reply = app.call("remove_passkey", &[("passkey_id", &passkey_id)], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired));
        let reply = app.call_rotating("remove_passkey", &[("passkey_id", &passkey_id), ("password", STRONG_PASSWORD)], &mut cookie).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(passkeys(&app, &cookie).await.is_empty());
        app.mail_to("val@example.com", "A passkey was removed from your account").await;
        let (handle, options) = start_sign_in(&app).await;
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &device.get(&options, &credential_id, &id)).await), "a removed passkey signs in no more");
        let kinds = app.event_kinds().await;
        assert!(kinds.contains(&"passkey_renamed".to_string()) && kinds.contains(&"passkey_removed".to_string()), "{kinds:?}");
    }

    async fn this_wasnt_me_removes_the_passkey_an_intruder_added(app) {
        app.sign_up("Xan", "xan@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "xan@example.com").await;
        // The intruder knows the password and adds a passkey to come back with.
        let mut intruder = app.sign_in("xan@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut intruder, &mut device, "Backdoor").await;
        let mail = app.mail_to("xan@example.com", "A passkey was added to your account").await;
        let token = link_token(&mail, "/this-wasnt-me");
        let reported = app.call("report_not_me", &[("token", &token)], None).await;
        assert!(reported.error().is_none(), "{}", reported.body);
        assert_eq!(json(&reported)["passkeys_removed"], serde_json::json!(["Backdoor"]), "{}", reported.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
        let (handle, options) = start_sign_in(&app).await;
        assert!(is_credential_error(&finish_sign_in(&app, &handle, &device.get(&options, &credential_id, &id)).await));
    }
}
