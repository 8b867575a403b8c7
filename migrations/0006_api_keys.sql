-- API keys. A key has one current secret and, during a rotation's grace period,
-- older secrets that still work until `valid_until`. Secrets are stored only as
-- SHA-256 of the whole token (they carry 256 bits), with a short visible prefix.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- read, write or admin
    permission TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- NULL: never expires
    expires_at BIGINT,
    revoked_at BIGINT,
    rotated_at BIGINT,
    last_used_at BIGINT,
    last_used_ip TEXT NOT NULL DEFAULT '',
    last_used_user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at);

CREATE TABLE api_key_secrets (
    secret_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- NULL: the key's current secret; otherwise a rotated-out secret that works until then
    valid_until BIGINT
);
CREATE INDEX api_key_secrets_by_key ON api_key_secrets (key_id, created_at);
