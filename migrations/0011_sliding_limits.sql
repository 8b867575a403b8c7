-- Rate limits as a generic cell rate (GCRA) instead of clock-aligned fixed
-- windows: `tat` is the theoretical arrival time of the next hit, so a
-- burst straddling a window boundary no longer gets twice the limit.
ALTER TABLE rate_limits ADD COLUMN tat BIGINT NOT NULL DEFAULT 0;
