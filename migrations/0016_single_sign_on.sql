-- Organization single sign-on: one OpenID Connect identity provider per
-- organization. Settings being tried out stay "pending" until a Test
-- connection round trip succeeds with them; only then do they become the
-- active ones people sign in with. Client secrets are sealed (AES-256-GCM
-- under the server key) and never shown again.
CREATE TABLE sso_connections (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    -- What /login shows: "Continue with Example Corp SSO".
    display_name TEXT NOT NULL,
    issuer TEXT,
    client_id TEXT,
    client_secret_sealed TEXT,
    activated_at BIGINT,
    pending_issuer TEXT,
    pending_client_id TEXT,
    pending_client_secret_sealed TEXT,
    pending_since BIGINT,
    last_tested_at BIGINT,
    -- The discovery document's summary (JSON) for the pending settings,
    -- else the active ones.
    discovery TEXT,
    updated_at BIGINT NOT NULL
);

-- Domains an organization claims. A TXT record proves control; a domain is
-- verified for at most one organization.
CREATE TABLE sso_domains (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    -- The value the TXT record must hold.
    token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    verified_at BIGINT,
    checked_at BIGINT,
    PRIMARY KEY (org_id, domain)
);
CREATE UNIQUE INDEX sso_domains_verified_once ON sso_domains (domain) WHERE verified_at IS NOT NULL;

-- Who the identity provider says signed in (its subject) and the account
-- that identity is.
CREATE TABLE sso_identities (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (org_id, subject)
);

-- Enforcement and session policy live on the organization, so every
-- membership read carries them.
ALTER TABLE organizations ADD COLUMN sso_enforced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN sso_allow_api_keys INTEGER NOT NULL DEFAULT 1;
-- The Owner who keeps a password + 2FA sign-in while SSO is required.
ALTER TABLE organizations ADD COLUMN sso_break_glass_user_id TEXT;
-- Shorter session lifetimes for members; NULL keeps the server's.
ALTER TABLE organizations ADD COLUMN session_idle_ms BIGINT;
ALTER TABLE organizations ADD COLUMN session_absolute_ms BIGINT;
