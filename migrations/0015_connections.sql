-- Connected accounts: a provider identity (GitHub, Google, an OpenID
-- Connect provider) that may sign in to one account. The subject is the
-- provider's stable id for the person; no provider token is kept.
CREATE TABLE connected_accounts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- What the list shows: the GitHub login, or the provider's email.
    account_label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    -- The session that connected it: recovery removes what an intruder's
    -- session connected.
    created_session_id TEXT,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- Accounts created from a provider have no password until they set one
-- through a reset link; the stored hash is of a secret nobody holds.
ALTER TABLE users ADD COLUMN password_set INTEGER NOT NULL DEFAULT 1;

-- The first factor of a half-finished sign-in (password, or a provider),
-- so the session records how it really began.
ALTER TABLE sign_in_challenges ADD COLUMN first_factor TEXT NOT NULL DEFAULT 'password';
