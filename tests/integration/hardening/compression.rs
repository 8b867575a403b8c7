//! BREACH: pages and JSON are compressed only where an attacker can neither
//! cause the request nor find a one-time secret in the answer.

use super::*;
use crate::assets::{fetch, gunzip, header};

const GZIP: (&str, &str) = ("accept-encoding", "gzip");
const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");

both_databases! {
    /// A page the user's own browser asked for arrives compressed, with
    /// every security header still on it.
    async fn pages_the_users_own_browser_asks_for_are_compressed(app) {
        let cookie = app.sign_up("Zip", "zip@example.com", STRONG_PASSWORD).await;
        let (status, headers, body) = fetch(&app, "/settings/security", Some(&cookie), &[GZIP, SAME_ORIGIN]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), "gzip");
        let page = String::from_utf8(gunzip(&body)).unwrap();
        assert!(page.contains("zip@example.com"), "the whole page, decompressed");
        assert!(page.len() > body.len() * 3, "{} bytes sent for {}", body.len(), page.len());
        assert_eq!(header(&headers, "cache-control"), "no-store");
        assert!(header(&headers, "content-security-policy").contains("frame-ancestors 'none'"));

        let (_, typed, _) = fetch(&app, "/settings/security", Some(&cookie), &[GZIP, ("sec-fetch-site", "none")]).await;
        assert_eq!(header(&typed, "content-encoding"), "gzip", "typed or bookmarked");

        let (_, signed_out, body) = fetch(&app, "/login", None, &[GZIP]).await;
        assert_eq!(header(&signed_out, "content-encoding"), "gzip", "no cookie: nothing of anyone's in it");
        assert!(String::from_utf8(gunzip(&body)).unwrap().contains("</html>"));
    }

    /// An attacker's page makes the victim's browser load ours with a guess
    /// in the address and measures the answers: they come uncompressed.
    async fn a_request_another_site_caused_is_never_compressed(app) {
        let cookie = app.sign_up("Vic", "vic@example.com", STRONG_PASSWORD).await;
        let guess = "/settings/security?q=vic%40example.co";
        for site in ["cross-site", "same-site"] {
            let (status, headers, body) = fetch(&app, guess, Some(&cookie), &[GZIP, ("sec-fetch-site", site)]).await;
            assert_eq!(status, 200);
            assert_eq!(header(&headers, "content-encoding"), "", "{site}");
            assert!(String::from_utf8(body).unwrap().contains("</html>"));
        }
        let (_, old_browser, _) = fetch(&app, guess, Some(&cookie), &[GZIP]).await;
        assert_eq!(header(&old_browser, "content-encoding"), "", "a cookie and no Sec-Fetch-Site: cannot tell");
    }

    /// Server function answers (new keys, backup codes, set-up keys) are
    /// POSTs and never compressed; nor are pages opened from mailed links.
    async fn secrets_in_answers_to_posts_and_mailed_links_are_never_compressed(app) {
        let cookie = app.sign_up("Key", "key@example.com", STRONG_PASSWORD).await;
        let reply = app
            .call_with_headers(
                "create_api_key",
                &[("name", "ci"), ("permission", "read"), ("expiry", "90")],
                Some(&cookie),
                &[("origin", app.base.as_str()), GZIP, SAME_ORIGIN],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(header(&reply.headers, "content-encoding"), "");
        assert!(reply.body.contains("\"token\""));

        let (status, headers, _) = fetch(&app, "/reset-password?token=abc", None, &[GZIP, SAME_ORIGIN]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), "");
    }

    /// ASVS 5.0 (one-time secrets): a page that shows an authenticator's
    /// set-up key, or backup codes after a form posted without the Wasm,
    /// goes out uncompressed even to the user's own browser.
    async fn a_page_that_shows_a_one_time_secret_is_never_compressed(app) {
        let mut cookie = app.sign_up("Sec", "sec@example.com", STRONG_PASSWORD).await;
        let manual_key = start_totp_through_sudo(&app, &mut cookie).await;
        let (_, headers, body) = fetch(&app, "/settings/security", Some(&cookie), &[GZIP, SAME_ORIGIN]).await;
        assert_eq!(header(&headers, "content-encoding"), "");
        assert!(String::from_utf8(body).unwrap().contains(&manual_key), "the page shows the key");

        let posted = confirm_totp_without_script(&app, &cookie, &manual_key).await;
        assert_eq!(posted.status, 302, "{}", posted.body);
        let session = posted.session_cookie(app.cookie_name).unwrap();
        let reveal = posted.session_cookie("ss_reveal").unwrap();
        let both = format!("{session}; {reveal}");
        let (_, headers, body) = fetch(&app, "/settings/security", Some(&both), &[GZIP, SAME_ORIGIN]).await;
        assert_eq!(header(&headers, "content-encoding"), "");
        let shown = String::from_utf8(body).unwrap();
        assert_eq!(shown.matches("data-testid=\"backup-code\"").count(), 10);

        let (_, later, _) = fetch(&app, "/settings/security", Some(&session), &[GZIP, SAME_ORIGIN]).await;
        assert_eq!(header(&later, "content-encoding"), "gzip", "once the codes are gone, compressed again");
    }
}
