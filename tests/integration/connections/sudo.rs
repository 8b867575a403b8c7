//! Sudo mode for an account made from a sign-in provider, which has no
//! password until a reset link sets one: every prompt says how to confirm
//! instead of asking for a password that does not exist, a password sent
//! anyway is refused with that explanation, and nothing changes.

use super::*;

/// Past the sudo window a sign-in opens (ten minutes by default).
const PAST_THE_SUDO_WINDOW_MS: i64 = 11 * 60 * 1000;

/// The prompts on a page, and those that explain there is no password.
fn prompts(body: &str) -> (usize, usize) {
    (
        body.matches("Confirm it").count(),
        body.matches("data-testid=\"sudo-no-password\"").count(),
    )
}

with_providers! {
    async fn an_account_without_a_password_is_told_how_to_confirm_and_changes_nothing(world) {
        let app = &world.app;
        world.oidc.set_user("acme-omar", "omar@example.com", true, "Omar Okafor");
        let cookie = signed_in(app, &sign_in_through(app, ACME).await);
        let other = signed_in(app, &sign_in_through(app, ACME).await);
        app.clock.advance(PAST_THE_SUDO_WINDOW_MS);

        for password in [None, Some("anything at all"), Some(STRONG_PASSWORD)] {
            let mut form = vec![("scope", "all")];
            form.extend(password.map(|password| ("password", password)));
            let reply = app.call("revoke_other_sessions", &form, Some(&cookie)).await;
            match reply.error() {
                Some(AppError::Validation { field, message }) => {
                    assert_eq!(field, "password", "{password:?}");
                    assert!(message.contains("no password yet"), "{password:?}: {message}");
                }
                other => panic!("{password:?}: expected the no-password refusal, got {other:?}"),
            }
            assert!(app.is_signed_in(&other).await, "{password:?} signed nothing out");
        }
        let page = app.get("/settings/security", Some(&cookie)).await;
        assert_eq!(page.status, 200);
        let (asked, explained) = prompts(&page.body);
        assert!(asked > 0, "the page has sudo prompts: {}", page.body);
        assert_eq!(explained, asked, "every prompt explains instead of asking");
        assert!(!page.body.contains("name=\"password\""), "no prompt asks for a password");

        // A reset link sets a password; from then on the prompt asks for it,
        // and it confirms.
        set_password_by_link(app, "omar@example.com", OTHER_STRONG_PASSWORD).await;
        let cookie = signed_in(app, &app.sign_in("omar@example.com", OTHER_STRONG_PASSWORD).await);
        let other = signed_in(app, &sign_in_through(app, ACME).await);
        app.clock.advance(PAST_THE_SUDO_WINDOW_MS);
        let page = app.get("/settings/security", Some(&cookie)).await;
        let (asked, explained) = prompts(&page.body);
        assert!(asked > 0 && explained == 0, "asked {asked}, explained {explained}");
        assert!(page.body.contains("name=\"password\""), "the prompts ask for it");
        let reply = app.call("revoke_other_sessions", &[("scope", "all"), ("password", OTHER_STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(!app.is_signed_in(&other).await, "the password confirmed it");
    }
}
