-- Outgoing mail. A request only inserts here; a background worker delivers,
-- retrying with back-off, so a slow or failing SMTP server never blocks or
-- fails a request and nothing is lost on restart. `dedupe_key` makes a
-- notification about one event go out exactly once.
CREATE TABLE mail_queue (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, next_attempt_at);
