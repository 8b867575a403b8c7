-- Where a session signed in from, and when its owner last reviewed the list.
ALTER TABLE sessions ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sessions_reviewed_at BIGINT;
