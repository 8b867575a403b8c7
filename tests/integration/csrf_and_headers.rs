//! CSRF refusal, security headers, GET safety, and what the database holds.

use crate::helpers::*;
use sqlx::Row;

both_databases! {
    async fn cross_site_posts_are_refused_and_change_nothing(app) {
        let form = [("name", "Eve"), ("email", "eve@example.com"), ("password", STRONG_PASSWORD)];
        for headers in [
            vec![("origin", "http://evil.example")],
            vec![("sec-fetch-site", "cross-site"), ("origin", app.base.as_str())],
            vec![("referer", "http://evil.example/page")],
            vec![("origin", "null")],
            vec![],
        ] {
            let reply = app.call_with_headers("sign_up", &form, None, &headers).await;
            assert_eq!(reply.status, 403, "{headers:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        let same_origin = app.call_with_headers("sign_up", &form, None, &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(same_origin.status, 200, "{}", same_origin.body);
    }

    async fn pages_and_api_replies_carry_the_security_headers(app) {
        let cookie = app.sign_up("Hdr", "hdr@example.com", STRONG_PASSWORD).await;
        let page = app.get("/settings/security", Some(&cookie)).await;
        let api = app.call("password_strength", &[("password", "x")], None).await;
        for reply in [&page, &api] {
            let csp = reply.headers.get("content-security-policy").unwrap().to_str().unwrap();
            for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "'wasm-unsafe-eval'"] {
                assert!(csp.contains(directive), "{csp}");
            }
            assert!(!csp.contains("unsafe-inline"));
            assert_eq!(reply.headers.get("x-content-type-options").unwrap(), "nosniff");
            assert!(reply.headers.contains_key("referrer-policy"));
        }
        let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
        assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry the header's nonce");
        assert!(page.headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    }

    async fn server_functions_do_not_answer_get(app) {
        let reply = app.get("/api/sign_out", None).await;
        assert_eq!(reply.status, 405);
    }

    async fn the_database_holds_no_plaintext_password_or_token(app) {
        let cookie = app.sign_up("Dump", "dump@example.com", STRONG_PASSWORD).await;
        app.call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie)).await;
        let token = cookie.split_once('=').unwrap().1.to_string();
        let mut dump = String::new();
        for table in ["users", "sessions", "security_events", "rate_limits"] {
            for row in sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(&app.pool).await.unwrap() {
                for index in 0..row.len() {
                    if let Ok(text) = row.try_get::<String, _>(index) {
                        dump.push_str(&text);
                        dump.push('\n');
                    }
                }
            }
        }
        assert!(dump.contains("dump@example.com"), "the dump is real");
        for secret in [STRONG_PASSWORD, OTHER_STRONG_PASSWORD, token.as_str()] {
            assert!(!dump.contains(secret), "found a secret in the database");
        }
    }

    async fn a_form_posted_without_script_shows_its_error_after_the_redirect(app) {
        let reply = app
            .call_with_headers(
                "sign_in",
                &[("email", "nobody@example.com"), ("password", "whatever it is")],
                None,
                &[("origin", app.base.as_str()), ("accept", "text/html"), ("referer", &format!("{}/login", app.base))],
            )
            .await;
        assert_eq!(reply.status, 302);
        assert_eq!(reply.location(), Some(format!("{}/login", app.base).as_str()));
        let flash = reply.set_cookie_line("ss_flash").expect("flash cookie");
        let pair = flash.split(';').next().unwrap().to_string();
        let page = app.get("/login", Some(&pair)).await;
        assert!(page.body.contains("Email or password is incorrect."), "the login page shows the error: {flash} {}", page.body);
        assert!(page.set_cookie_line("ss_flash").unwrap().contains("Max-Age=0"), "shown once");
    }

    async fn crafted_error_parameters_cannot_put_words_on_our_pages(app) {
        let reply = app.get("/login?next=%2Fsettings%2Fteam&__path=%2Fapi%2Fsign_in&__err=IkludmFsaWRDcmVkZW50aWFscyI%3D", None).await;
        assert_eq!(reply.status, 303);
        assert_eq!(reply.location(), Some("/login?next=%2Fsettings%2Fteam"));
    }
}
