-- Two-factor authentication. The method is NULL while 2FA is off.
ALTER TABLE users ADD COLUMN two_factor_method TEXT;
ALTER TABLE users ADD COLUMN two_factor_since BIGINT;
-- AES-256-GCM under the server key, bound to the user id; never plaintext.
ALTER TABLE users ADD COLUMN totp_secret_sealed TEXT;
-- The last accepted TOTP time step: a code is never accepted twice (RFC 6238 5.2).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sms_phone TEXT;

-- An enrolment in progress. Nothing here turns 2FA on until a code verifies it.
CREATE TABLE two_factor_enrolments (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    id TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    totp_secret_sealed TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Backup codes as HMAC-SHA-256 under the server key; each usable once.
CREATE TABLE backup_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_mac TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX backup_codes_by_user ON backup_codes (user_id, code_mac);

-- One SMS code per purpose it was sent for ("enrol:<id>", "sign_in:<id>",
-- "sudo:<session id>"); a resend replaces it. HMAC'd like backup codes.
CREATE TABLE sms_codes (
    binding TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    code_mac TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- The half-signed-in state between a correct password and the second factor.
CREATE TABLE sign_in_challenges (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    next_path TEXT NOT NULL
);

-- The default SMS "provider": messages a developer can read, never delivered.
CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
