-- Per-day event counts by origin (PostgreSQL): events per user, UTC day,
-- category, result, device and location, kept by statement triggers (one
-- grouped upsert per statement, so a bulk insert, retention or a deleted
-- account's cascade counts once, not once per row) inside the statement
-- that records, deletes or changes events. They replace security_event_days
-- (the same counts without device and location): the chart still sums a
-- day's rows, and a text filter that can only match the device or the
-- location (the address column holds an IP address or "unknown") is
-- answered from here too: the chart sums the matching rows, and a page
-- learns which days hold matches before it reads any event.
CREATE TABLE security_event_day_origins (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    device TEXT NOT NULL,
    location TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (user_id, day, category, outcome, device, location)
);
INSERT INTO security_event_day_origins (user_id, day, category, outcome, device, location, events)
SELECT user_id, occurred_at / 86400000, category, outcome, device, location, COUNT(*)
FROM security_events WHERE user_id IS NOT NULL
GROUP BY user_id, occurred_at / 86400000, category, outcome, device, location;
CREATE FUNCTION security_event_day_origins_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE security_event_day_origins AS counted SET events = counted.events - gone.n
        FROM (SELECT user_id, occurred_at / 86400000 AS day, category, outcome, device, location,
                     COUNT(*) AS n
              FROM old_rows WHERE user_id IS NOT NULL
              GROUP BY user_id, occurred_at / 86400000, category, outcome, device, location) AS gone
        WHERE counted.user_id = gone.user_id AND counted.day = gone.day
          AND counted.category = gone.category AND counted.outcome = gone.outcome
          AND counted.device = gone.device AND counted.location = gone.location;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO security_event_day_origins AS counted
            (user_id, day, category, outcome, device, location, events)
        SELECT user_id, occurred_at / 86400000, category, outcome, device, location, COUNT(*)
        FROM new_rows WHERE user_id IS NOT NULL
        GROUP BY user_id, occurred_at / 86400000, category, outcome, device, location
        ON CONFLICT (user_id, day, category, outcome, device, location)
        DO UPDATE SET events = counted.events + excluded.events;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER security_event_day_origins_insert AFTER INSERT ON security_events
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION security_event_day_origins_count();
CREATE TRIGGER security_event_day_origins_delete AFTER DELETE ON security_events
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION security_event_day_origins_count();
CREATE TRIGGER security_event_day_origins_update AFTER UPDATE ON security_events
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION security_event_day_origins_count();
DROP TABLE security_event_days;
