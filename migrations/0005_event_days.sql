-- Events per user, UTC day, category and result, kept as events are recorded,
-- so the Login History chart reads a few rows per day instead of every event.
CREATE TABLE security_event_days (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (user_id, day, category, outcome)
);
INSERT INTO security_event_days (user_id, day, category, outcome, events)
SELECT user_id, occurred_at / 86400000, category, outcome, COUNT(*)
FROM security_events WHERE user_id IS NOT NULL
GROUP BY user_id, occurred_at / 86400000, category, outcome;
