//! Hostile requests: redirects that would leave the site, a cross-site start
//! of the history export, a flash cookie a sibling domain could plant, and
//! per-address limits dodged by moving around an IPv6 /64.

use super::*;

/// Whether a `Location` stays on this site: a path that no browser reads as
/// another host, or this site's own origin followed by one.
fn stays_here(app: &TestApp, location: &str) -> bool {
    let path = location.strip_prefix(app.base.as_str()).unwrap_or(location);
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains(['\t', '\n', '\r', '\\'])
        && !path.to_ascii_lowercase().starts_with("/%2f")
        && !path.to_ascii_lowercase().starts_with("/%5c")
}

both_databases! {
    /// ASVS 5.0 3.7.2: no redirect the server builds sends the browser to
    /// another host, however the address or a `next` is spelt.
    async fn no_redirect_leaves_the_site(app) {
        let targets = [
            "//evil.example/",
            "/\\evil.example/",
            "/%2F%2Fevil.example/",
            "/%5Cevil.example/",
            "/%09/evil.example/",
        ];
        for target in targets {
            let reply = app.get(&format!("{target}?__err=eA&__path=%2Fapi%2Fsign_in"), None).await;
            if let Some(location) = reply.location() {
                assert!(stays_here(&app, location), "{target} → {location}");
            }
        }
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        for next in ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/%2F%2Fevil.example", "http:evil.example"] {
            let reply = app.call("sign_in", &[("email", "ada@example.com"), ("password", STRONG_PASSWORD), ("next", next)], None).await;
            if next.contains('\t') {
                // Control characters are refused before any server function runs.
                assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{}", reply.body);
                assert!(reply.session_cookie(app.cookie_name).is_none());
                continue;
            }
            let location = reply.location().expect("a redirect after signing in");
            assert!(stays_here(&app, location), "next={next:?} → {location}");
        }
        // A signed-out visit keeps its destination only as a local `next`.
        let reply = app.get("//evil.example/settings/security", None).await;
        if let Some(location) = reply.location() {
            assert!(stays_here(&app, location), "{location}");
        }
        // A signed-in visit of the sign-in page goes on to a local `next` only.
        for next in ["https://evil.example/", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example"] {
            let reply = app.get(&format!("/login?{}", encode_form(&[("next", next)])), Some(&cookie)).await;
            assert_eq!(reply.location(), Some("/settings/security"), "next={next:?}");
        }
        let reply = app.get("/login?verified=1&next=%2Fsettings%2Fapi-keys", Some(&cookie)).await;
        assert_eq!(reply.location(), Some("/settings/api-keys"), "a local next is kept");
        assert!(app.is_signed_in(&cookie).await);
    }

    /// ASVS 5.0 3.5.3: the history export records an event, so it may only be
    /// started by our own page or the address bar, never by a cross-site link,
    /// image or form.
    async fn a_cross_site_request_cannot_start_the_history_export(app) {
        let cookie = app.sign_up("Bo", "bo@example.com", STRONG_PASSWORD).await;
        let exported = || async { app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'history_exported'").await };
        for site in [None, Some("cross-site"), Some("same-site")] {
            let mut request = app.http.get(format!("{}/settings/security/history/export?format=csv", app.base));
            if let Some(site) = site {
                request = request.header("sec-fetch-site", site);
            }
            let reply = request.header("cookie", &cookie).send().await.unwrap();
            assert_eq!(reply.status().as_u16(), 422, "{site:?}");
            let body = reply.text().await.unwrap();
            assert!(body.contains("Start the export from the Login History"), "{body}");
        }
        assert_eq!(exported().await, 0, "nothing was recorded");
        let ok = app.export("format=csv", Some(&cookie)).await;
        assert_eq!(ok.status, 200);
        assert_eq!(exported().await, 1);
    }

    /// ASVS 5.0 2.4.1, 15.3.4: a per-address limit counts a whole IPv6 /64 as one
    /// address, so hopping between addresses of one network gains nothing.
    async fn an_ipv6_network_shares_one_per_address_budget(app) {
        let app = TestApp::spawn_with(app.db(), &[("TRUST_PROXY_HEADERS", "true")]).await;
        app.clock.freeze_at((now() / 60_000 + 1) * 60_000 + 1_000);
        let check = |ip: String| {
            let app = &app;
            async move {
                app.call_with_headers(
                    "password_strength",
                    &[("password", "correct horse")],
                    None,
                    &[("origin", app.base.as_str()), ("x-forwarded-for", ip.as_str())],
                )
                .await
            }
        };
        // 120 checks a minute per address: use them up from 120 addresses of one /64.
        for n in 1..=120 {
            let reply = check(format!("2001:db8:1:2::{n:x}")).await;
            assert!(reply.error().is_none(), "{n}: {}", reply.body);
        }
        let refused = check("2001:db8:1:2:ffff::1".into()).await;
        assert!(matches!(refused.error(), Some(AppError::RateLimited { .. })), "{}", refused.body);
        let neighbour = check("2001:db8:1:3::1".into()).await;
        assert!(neighbour.error().is_none(), "the next /64 has its own budget");
    }

    /// ASVS 5.0 3.3.1: over HTTPS the flash cookie carries the `__Host-`
    /// prefix and `Secure`, so a sibling subdomain cannot plant form errors.
    async fn the_flash_cookie_is_host_only_over_https(app) {
        let app = TestApp::spawn_with(app.db(), &[("PUBLIC_URL", "https://status.example.com")]).await;
        let reply = app
            .call_with_headers(
                "sign_in",
                &[("email", "nobody@example.com"), ("password", "whatever it is")],
                None,
                &[("origin", "https://status.example.com"), ("accept", "text/html")],
            )
            .await;
        let line = reply.set_cookie_line("__Host-ss_flash").expect("a host-only flash cookie");
        assert!(line.contains("Secure") && line.contains("Path=/"), "{line}");
        assert!(reply.set_cookie_line("ss_flash").is_none());
        let pair = line.split(';').next().unwrap().to_string();
        let planted = app.get("/login", Some("ss_flash=eyJhY3Rpb24iOiIvYXBpL3NpZ25faW4iLCJlcnJvciI6bnVsbH0")).await;
        assert!(planted.set_cookie_line("ss_flash").is_none(), "an unprefixed cookie is not read");
        let page = app.get("/login", Some(&pair)).await;
        assert!(page.body.contains("Email or password is incorrect."), "{}", page.body);
    }
}
