-- Security hardening: what recovery needs to undo an intrusion, verified
-- addresses, enrolments bound to their session, and secrets sealed at rest.

-- An address counts once a mailed link confirmed it; accounts from before
-- this migration are taken as confirmed.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
UPDATE users SET email_verified_at = created_at;
-- An organization asked for at sign-up, created once the address is confirmed.
ALTER TABLE users ADD COLUMN pending_organization TEXT;

-- An enrolment belongs to the session that started it.
ALTER TABLE two_factor_enrolments ADD COLUMN session_id TEXT NOT NULL DEFAULT '';

-- Backup codes: `bound` rows hold HMAC(user id, code); older rows HMAC(code).
ALTER TABLE backup_codes ADD COLUMN bound INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backup_codes ADD COLUMN session_id TEXT;

-- Where a key came from: the session (settings page) or the key (JSON API)
-- that created it.
ALTER TABLE api_keys ADD COLUMN created_session_id TEXT;
ALTER TABLE api_keys ADD COLUMN created_key_id TEXT;

-- The session that asked for a single-use link (an email change), and the
-- address the link was mailed to: a recovery through a link mailed to an
-- address the account had before undoes a recent change away from it.
ALTER TABLE account_tokens ADD COLUMN session_id TEXT;
ALTER TABLE account_tokens ADD COLUMN sent_to TEXT NOT NULL DEFAULT '';

-- Email changes, kept so that a recovery can undo a recent one.
CREATE TABLE email_changes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_email TEXT NOT NULL,
    new_email TEXT NOT NULL,
    session_id TEXT,
    confirmed_at BIGINT NOT NULL,
    undone_at BIGINT
);
CREATE INDEX email_changes_by_user ON email_changes (user_id, confirmed_at);
CREATE INDEX email_changes_by_old_email ON email_changes (old_email, confirmed_at);

-- Queued mail bodies are sealed under the server key; a delivered body is emptied.
ALTER TABLE mail_queue ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- Values a page shows once after a form posted without JavaScript (the
-- backup codes of a 2FA set-up), sealed, for a minute.
CREATE TABLE one_time_reveals (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
