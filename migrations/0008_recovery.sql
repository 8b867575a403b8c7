-- Account recovery and notices. Set by "This wasn't me": the next sign-in
-- needs a password reset first.
ALTER TABLE users ADD COLUMN must_reset_password INTEGER NOT NULL DEFAULT 0;
-- The owner may turn off the new-device sign-in notice (nothing else).
ALTER TABLE users ADD COLUMN notify_new_sign_in INTEGER NOT NULL DEFAULT 1;

-- Single-use links sent by email, stored only as SHA-256 of their 256-bit token.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    -- password_reset | email_change | not_me
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- email_change: the new address; not_me: the session to end ('' = all)
    subject TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
