-- Verified domains are looked up again every day: a domain can change
-- hands, and the organization that once proved it must not keep vouching
-- for addresses on it. Consecutive days on which the TXT record was
-- definitely missing; at three the domain stops being verified. A look-up
-- that could not get an answer does not count.
ALTER TABLE sso_domains ADD COLUMN missed_checks BIGINT NOT NULL DEFAULT 0;
