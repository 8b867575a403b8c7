-- An organization may require a passkey (a phishing-resistant way to sign
-- in) of its Owners and Admins, with the grace period of its 2FA rule.
ALTER TABLE organizations ADD COLUMN require_passkey INTEGER NOT NULL DEFAULT 0;
-- When require_passkey was last turned on; NULL while off.
ALTER TABLE organizations ADD COLUMN passkey_policy_since BIGINT;
