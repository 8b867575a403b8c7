-- Login History: each event keeps the device and location it was parsed to
-- when recorded, and its filter category, so filtering needs no parsing.
ALTER TABLE security_events ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE security_events ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE security_events ADD COLUMN category TEXT NOT NULL DEFAULT '';
UPDATE security_events SET category = CASE
    WHEN kind IN ('sign_up', 'sign_in', 'sign_out') THEN 'logins'
    WHEN kind = 'sign_in_failed' THEN 'failed'
    WHEN kind = 'password_changed' THEN 'password'
    WHEN kind = 'session_revoked' THEN 'sessions'
    ELSE 'two_factor' END;
-- Keyset pages per user, per user and category, per user and result; and
-- retention by age.
CREATE INDEX security_events_by_user_category ON security_events (user_id, category, occurred_at, id);
CREATE INDEX security_events_by_user_outcome ON security_events (user_id, outcome, occurred_at, id);
CREATE INDEX security_events_by_time ON security_events (occurred_at);
