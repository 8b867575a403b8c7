-- When the user last answered "Not now" to the offer to add a passkey
-- after a password sign-in; the offer stays away for 30 days after it.
ALTER TABLE users ADD COLUMN passkey_offer_dismissed_at BIGINT;
