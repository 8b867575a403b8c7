-- Login History free-text search (SQLite): an FTS5 index of trigrams over the
-- three searchable columns, reading its text from security_events (external
-- content, so nothing is stored twice) and keyed by the event's rowid. The
-- search asks it for single trigrams only (never phrases), so it keeps no
-- positions (detail = none): a smaller index, and faster to walk.
-- Triggers keep it in step inside the statement that records, deletes
-- (retention, a deleted account's cascade) or changes an event.
CREATE VIRTUAL TABLE security_events_search USING fts5(
    ip, device, location,
    content = 'security_events', content_rowid = 'rowid', tokenize = 'trigram',
    detail = none, columnsize = 0
);
INSERT INTO security_events_search (security_events_search) VALUES ('rebuild');
CREATE TRIGGER security_events_search_insert AFTER INSERT ON security_events BEGIN
    INSERT INTO security_events_search (rowid, ip, device, location)
    VALUES (new.rowid, new.ip, new.device, new.location);
END;
CREATE TRIGGER security_events_search_delete AFTER DELETE ON security_events BEGIN
    INSERT INTO security_events_search (security_events_search, rowid, ip, device, location)
    VALUES ('delete', old.rowid, old.ip, old.device, old.location);
END;
CREATE TRIGGER security_events_search_update AFTER UPDATE OF ip, device, location
ON security_events BEGIN
    INSERT INTO security_events_search (security_events_search, rowid, ip, device, location)
    VALUES ('delete', old.rowid, old.ip, old.device, old.location);
    INSERT INTO security_events_search (rowid, ip, device, location)
    VALUES (new.rowid, new.ip, new.device, new.location);
END;
