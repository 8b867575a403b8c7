-- Passkeys (WebAuthn credentials). A credential id belongs to one account
-- only; `credential` is webauthn-rs's record of it (public key, signature
-- counter, backup flags) as JSON: nothing in it is secret.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- base64url (no padding) of the raw credential id
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    -- the authenticator model (AAGUID), all zeros when it does not say
    aaguid TEXT NOT NULL DEFAULT '',
    -- synced to a cloud account (1) or bound to one device (0)
    backed_up INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- the session that added it: a recovery that ends that session removes it
    created_session_id TEXT,
    last_used_at BIGINT,
    -- "Chrome on macOS" and "Berlin, DE" of the last sign-in with it
    last_used_device TEXT NOT NULL DEFAULT '',
    last_used_location TEXT NOT NULL DEFAULT '',
    -- its signature counter went backwards: refused from then on
    suspected_clone_at BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);

-- A registration or sign-in ceremony between its options and the
-- authenticator's answer: webauthn-rs's state, sealed under the server key,
-- single use (taken by deleting it), five minutes at most. `id` is the
-- SHA-256 of the handle the browser holds.
CREATE TABLE passkey_ceremonies (
    id TEXT PRIMARY KEY,
    -- register or sign_in
    purpose TEXT NOT NULL,
    -- the account registering; NULL for a sign-in, whose account the
    -- authenticator names
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- the session that started a registration: only it may finish it
    session_id TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
