//! Which sign-in providers are configured: GitHub, Google and any number of
//! OpenID Connect providers, from the environment. A provider without a
//! client id is not offered.

use crate::sessions::is_provider_label;

/// GitHub's web host (authorization and token endpoints).
pub const GITHUB_URL: &str = "https://github.com";
/// GitHub's REST API (`/user`, `/user/emails`).
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// Google's OpenID Connect issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// How a provider proves who someone is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// OAuth 2 and GitHub's user API (GitHub is not OpenID Connect).
    GitHub {
        /// `https://github.com`, or a fake in tests.
        web_url: String,
        /// `https://api.github.com`, or a fake in tests.
        api_url: String,
    },
    /// OpenID Connect, its endpoints found by discovery at the issuer.
    Oidc { issuer: String },
}

/// A client secret; never printed.
#[derive(Clone)]
pub struct ClientSecretText(String);

impl ClientSecretText {
    pub fn new(secret: String) -> ClientSecretText {
        ClientSecretText(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecretText(redacted)")
    }
}

/// One configured provider.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// In URLs and the database: `github`, `google`, or the configured name.
    pub key: String,
    /// What people read: "GitHub", "Google", "Okta".
    pub label: String,
    pub kind: ProviderKind,
    pub client_id: String,
    /// Absent for a public OpenID Connect client (PKCE alone).
    pub client_secret: Option<ClientSecretText>,
}

/// Every configured provider, in the order the sign-in page lists them.
#[derive(Clone, Debug, Default)]
pub struct IdentitySettings {
    pub providers: Vec<ProviderSettings>,
    /// How long one request to a provider may take.
    pub timeout_secs: u64,
}

/// Reads `GITHUB_*`, `GOOGLE_*`, `OIDC_PROVIDERS` and `OIDC_<NAME>_*`.
pub fn identity_settings_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IdentitySettings, String> {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut providers = Vec::new();
    if let Some(client_id) = get("GITHUB_CLIENT_ID") {
        let client_secret = get("GITHUB_CLIENT_SECRET")
            .ok_or("GITHUB_CLIENT_SECRET must be set with GITHUB_CLIENT_ID")?;
        providers.push(ProviderSettings {
            key: "github".into(),
            label: "GitHub".into(),
            kind: ProviderKind::GitHub {
                web_url: provider_url(
                    "GITHUB_URL",
                    &get("GITHUB_URL").unwrap_or_else(|| GITHUB_URL.into()),
                )?,
                api_url: provider_url(
                    "GITHUB_API_URL",
                    &get("GITHUB_API_URL").unwrap_or_else(|| GITHUB_API_URL.into()),
                )?,
            },
            client_id,
            client_secret: Some(ClientSecretText::new(client_secret)),
        });
    }
    if let Some(client_id) = get("GOOGLE_CLIENT_ID") {
        let client_secret = get("GOOGLE_CLIENT_SECRET")
            .ok_or("GOOGLE_CLIENT_SECRET must be set with GOOGLE_CLIENT_ID")?;
        let issuer = get("GOOGLE_ISSUER").unwrap_or_else(|| GOOGLE_ISSUER.into());
        providers.push(ProviderSettings {
            key: "google".into(),
            label: "Google".into(),
            kind: ProviderKind::Oidc {
                issuer: provider_url("GOOGLE_ISSUER", &issuer)?,
            },
            client_id,
            client_secret: Some(ClientSecretText::new(client_secret)),
        });
    }
    for entry in get("OIDC_PROVIDERS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        let provider = oidc_provider(entry, &get)?;
        if providers.iter().any(|known| known.key == provider.key) {
            return Err(format!(
                "OIDC_PROVIDERS: the name {:?} is used twice",
                provider.key
            ));
        }
        providers.push(provider);
    }
    let timeout_secs = match get("IDENTITY_PROVIDER_TIMEOUT_SECONDS") {
        None => 10,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|secs| (1..=60).contains(secs))
            .ok_or("IDENTITY_PROVIDER_TIMEOUT_SECONDS must be a number from 1 to 60")?,
    };
    Ok(IdentitySettings {
        providers,
        timeout_secs,
    })
}

/// `name:issuer-url:client-id`; the issuer URL holds colons of its own.
fn oidc_provider(
    entry: &str,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderSettings, String> {
    let shape = || {
        format!(
            "OIDC_PROVIDERS: {entry:?} is not name:issuer-url:client-id (e.g. okta:https://example.okta.com:0oa1b2c3)"
        )
    };
    let (name, rest) = entry.split_once(':').ok_or_else(shape)?;
    let (issuer, client_id) = rest.rsplit_once(':').ok_or_else(shape)?;
    let name = name.trim().to_ascii_lowercase();
    let valid_name = (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !matches!(name.as_str(), "github" | "google");
    if !valid_name {
        return Err(format!(
            "OIDC_PROVIDERS: the name {name:?} must be 1-32 lower-case letters, digits or dashes, and not github or google"
        ));
    }
    let client_id = client_id.trim();
    if client_id.is_empty() {
        return Err(shape());
    }
    let variable = name.to_ascii_uppercase().replace('-', "_");
    let label = get(&format!("OIDC_{variable}_LABEL")).unwrap_or_else(|| capitalised(&name));
    if !is_provider_label(&label) {
        return Err(format!(
            "OIDC_{variable}_LABEL must be 1-40 letters, digits, spaces, dots or dashes"
        ));
    }
    Ok(ProviderSettings {
        kind: ProviderKind::Oidc {
            issuer: provider_url("OIDC_PROVIDERS", issuer.trim())?,
        },
        client_id: client_id.to_string(),
        client_secret: get(&format!("OIDC_{variable}_CLIENT_SECRET")).map(ClientSecretText::new),
        key: name,
        label,
    })
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// An https:// URL, or http:// to a loopback address (a local test
/// provider); without a trailing slash.
pub fn provider_url(setting: &str, url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let problem = || {
        format!(
            "{setting}: {url:?} must be an https:// URL (http:// only for 127.0.0.1 or localhost)"
        )
    };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(problem());
        }
        rest
    } else {
        return Err(problem());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(['@', ' ']) || url.contains(['?', '#']) {
        return Err(problem());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<IdentitySettings, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        identity_settings_from_lookup(&|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_configured_offers_no_provider() {
        assert!(read(&[]).unwrap().providers.is_empty());
    }

    #[test]
    fn providers_are_read_in_order_with_their_labels() {
        let settings = read(&[
            ("GITHUB_CLIENT_ID", "gh"),
            ("GITHUB_CLIENT_SECRET", "s"),
            ("GOOGLE_CLIENT_ID", "go"),
            ("GOOGLE_CLIENT_SECRET", "s"),
            (
                "OIDC_PROVIDERS",
                "okta:https://example.okta.com:0oa1, acme-id:http://127.0.0.1:4000/oidc:c2",
            ),
            ("OIDC_ACME_ID_LABEL", "Acme SSO"),
            ("OIDC_OKTA_CLIENT_SECRET", "x"),
        ])
        .unwrap();
        let keys: Vec<_> = settings.providers.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["github", "google", "okta", "acme-id"]);
        let labels: Vec<_> = settings
            .providers
            .iter()
            .map(|p| p.label.as_str())
            .collect();
        assert_eq!(labels, ["GitHub", "Google", "Okta", "Acme SSO"]);
        assert_eq!(
            settings.providers[3].kind,
            ProviderKind::Oidc {
                issuer: "http://127.0.0.1:4000/oidc".into()
            }
        );
        assert_eq!(settings.providers[3].client_id, "c2");
        assert!(settings.providers[3].client_secret.is_none());
        assert!(settings.providers[2].client_secret.is_some());
        assert_eq!(settings.timeout_secs, 10);
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named() {
        let cases: &[&[(&str, &str)]] = &[
            &[("GITHUB_CLIENT_ID", "gh")],
            &[("GOOGLE_CLIENT_ID", "go")],
            &[("OIDC_PROVIDERS", "okta")],
            &[("OIDC_PROVIDERS", "okta:https://x.example:")],
            &[("OIDC_PROVIDERS", "Okta Prod:https://x.example:c")],
            &[("OIDC_PROVIDERS", "github:https://x.example:c")],
            &[("OIDC_PROVIDERS", "okta:http://x.example:c")],
            &[("OIDC_PROVIDERS", "okta:ftp://x.example:c")],
            &[(
                "OIDC_PROVIDERS",
                "a:https://x.example:c,a:https://y.example:d",
            )],
            &[
                ("OIDC_PROVIDERS", "a:https://x.example:c"),
                ("OIDC_A_LABEL", "a+b"),
            ],
            &[("IDENTITY_PROVIDER_TIMEOUT_SECONDS", "0")],
        ];
        for case in cases {
            assert!(read(case).is_err(), "{case:?}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = ClientSecretText::new("hunter2".into());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
