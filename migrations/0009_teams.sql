-- Organizations with roles. A person belongs to at most one organization
-- (memberships.user_id is unique); an organization has at least one owner.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Production access: every member needs 2FA (after the grace period).
    production INTEGER NOT NULL DEFAULT 0,
    -- The same rule, asked for explicitly by an owner.
    require_two_factor INTEGER NOT NULL DEFAULT 0,
    -- 0 to 14 days after the rule took effect (or the member joined).
    grace_days BIGINT NOT NULL DEFAULT 7,
    -- When production or require_two_factor was last turned on; NULL while off.
    policy_since BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- owner | admin | member | viewer
    role TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    -- The last 2FA reminder sent to this member, so reminders are not spammed.
    reminded_at BIGINT
);
CREATE INDEX memberships_by_org ON memberships (org_id, role);

-- Invitations by email: a single-use 256-bit token stored only as SHA-256.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT,
    revoked_at BIGINT
);
CREATE INDEX invitations_by_org ON invitations (org_id, created_at);

-- Team changes are events of the organization, shown to its owners and admins.
ALTER TABLE security_events ADD COLUMN org_id TEXT;
CREATE INDEX security_events_by_org_time ON security_events (org_id, occurred_at, id);

-- The highest permission each API key actually needed, and when, so the
-- checkup can point out keys with more permission than they use.
ALTER TABLE api_keys ADD COLUMN write_used_at BIGINT;
ALTER TABLE api_keys ADD COLUMN admin_used_at BIGINT;

-- The zxcvbn score (0-4) of the password, taken whenever we see it in clear
-- (sign-up, sign-in, change, reset); NULL until then.
ALTER TABLE users ADD COLUMN password_score BIGINT;
