//! The password cards of an account made from a sign-in provider, which has
//! no password until a reset link sets one: the Security page offers to set
//! one instead of asking for a "current password" that does not exist, the
//! Authentication page says the account has none, the link it gives opens
//! the reset page with the address filled in, and once a password is set
//! both pages are the usual ones.

use super::*;

const SET_PASSWORD: &str = "data-testid=\"set-password-by-email\"";
const CURRENT_PASSWORD: &str = "name=\"current_password\"";
const PASSWORD_SIGNS_IN: &str = "Your email address and password sign you in";

with_providers! {
    async fn an_account_without_a_password_is_offered_to_set_one_not_to_change_it(world) {
        let app = &world.app;
        world.oidc.set_user("acme-omar", "omar@example.com", true, "Omar Okafor");
        let cookie = signed_in(app, &sign_in_through(app, ACME).await);

        let security = app.get("/settings/security", Some(&cookie)).await;
        assert_eq!(security.status, 200);
        assert!(security.body.contains(SET_PASSWORD), "{}", security.body);
        assert!(security.body.contains("Set a password"));
        assert!(security.body.contains("No password set"), "the overview says so");
        assert!(!security.body.contains(CURRENT_PASSWORD), "no field for a password it does not have");
        let link = "/forgot-password?email=omar%40example.com";
        assert!(security.body.contains(link), "the link carries the address");

        let authentication = app.get("/settings/authentication", Some(&cookie)).await;
        assert_eq!(authentication.status, 200);
        assert!(authentication.body.contains(SET_PASSWORD));
        assert!(!authentication.body.contains(PASSWORD_SIGNS_IN), "no password signs it in");

        let reset = app.get(link, None).await;
        assert_eq!(reset.status, 200);
        assert!(reset.body.contains("value=\"omar@example.com\""), "{}", reset.body);

        // Setting it through the link makes both pages the usual ones.
        set_password_by_link(app, "omar@example.com", STRONG_PASSWORD).await;
        let cookie = signed_in(app, &app.sign_in("omar@example.com", STRONG_PASSWORD).await);
        let security = app.get("/settings/security", Some(&cookie)).await;
        assert!(security.body.contains(CURRENT_PASSWORD), "the change form is back");
        assert!(!security.body.contains(SET_PASSWORD));
        assert!(!security.body.contains("No password set"));
        let authentication = app.get("/settings/authentication", Some(&cookie)).await;
        assert!(authentication.body.contains(PASSWORD_SIGNS_IN));
        assert!(!authentication.body.contains(SET_PASSWORD));
    }

    async fn the_reset_pages_address_from_the_link_is_escaped_and_capped(world) {
        let app = &world.app;
        let hostile = app
            .get("/forgot-password?email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", None)
            .await;
        assert_eq!(hostile.status, 200);
        assert!(!hostile.body.contains("\"><script>alert(1)"), "{}", hostile.body);
        assert!(hostile.body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"")
            || hostile.body.contains("value=\"&quot;><script>alert(1)</script>\""), "{}", hostile.body);

        let long = "a".repeat(400);
        let capped = app.get(&format!("/forgot-password?email={long}"), None).await;
        assert_eq!(capped.status, 200);
        assert!(capped.body.contains(&format!("value=\"{}\"", "a".repeat(254))));
        assert!(!capped.body.contains(&"a".repeat(255)), "no more than an address can hold");
    }
}
