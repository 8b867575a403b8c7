-- Per-day event counts by origin (SQLite): events per user, UTC day,
-- category, result, device and location, kept by triggers inside the
-- statement that records, deletes (retention, a deleted account's cascade)
-- or changes an event. They replace security_event_days (the same counts
-- without device and location): the chart still sums a day's rows, and a
-- text filter that can only match the device or the location (the address
-- column holds an IP address or "unknown") is answered from here too: the
-- chart sums the matching rows, and a page learns which days hold matches
-- before it reads any event.
CREATE TABLE security_event_day_origins (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    device TEXT NOT NULL,
    location TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (user_id, day, category, outcome, device, location)
) WITHOUT ROWID;
INSERT INTO security_event_day_origins (user_id, day, category, outcome, device, location, events)
SELECT user_id, occurred_at / 86400000, category, outcome, device, location, COUNT(*)
FROM security_events WHERE user_id IS NOT NULL
GROUP BY user_id, occurred_at / 86400000, category, outcome, device, location;
CREATE TRIGGER security_event_day_origins_insert AFTER INSERT ON security_events
WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO security_event_day_origins (user_id, day, category, outcome, device, location, events)
    VALUES (new.user_id, new.occurred_at / 86400000, new.category, new.outcome, new.device,
        new.location, 1)
    ON CONFLICT (user_id, day, category, outcome, device, location)
    DO UPDATE SET events = events + 1;
END;
CREATE TRIGGER security_event_day_origins_delete AFTER DELETE ON security_events
WHEN old.user_id IS NOT NULL BEGIN
    UPDATE security_event_day_origins SET events = events - 1
    WHERE user_id = old.user_id AND day = old.occurred_at / 86400000
      AND category = old.category AND outcome = old.outcome
      AND device = old.device AND location = old.location;
END;
-- A change takes the old row off its count and adds the new one, as the
-- search index's update trigger does; an event of no account counts nowhere.
CREATE TRIGGER security_event_day_origins_update
AFTER UPDATE OF user_id, occurred_at, category, outcome, device, location ON security_events
BEGIN
    UPDATE security_event_day_origins SET events = events - 1
    WHERE user_id = old.user_id AND day = old.occurred_at / 86400000
      AND category = old.category AND outcome = old.outcome
      AND device = old.device AND location = old.location;
    INSERT INTO security_event_day_origins (user_id, day, category, outcome, device, location, events)
    SELECT new.user_id, new.occurred_at / 86400000, new.category, new.outcome, new.device,
        new.location, 1
    WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id, day, category, outcome, device, location)
    DO UPDATE SET events = events + 1;
END;
DROP TABLE security_event_days;
