-- Statistics on the three lowercased columns the Login History's text
-- filter tests (LOWER(column) LIKE '%text%'). Without them PostgreSQL guesses
-- the selectivity of a LIKE on an expression from the pattern's length alone
-- (about 0.01 % for "%berlin%"), expects a handful of matches, and sorts the
-- whole window instead of walking the person's events newest first: a page
-- for a word in a quarter of the events took about 100 ms at a million
-- events instead of under 1 ms. Shared migrations continue at 0019.
CREATE STATISTICS IF NOT EXISTS security_events_search_columns
    ON (lower(ip)), (lower(device)), (lower(location)) FROM security_events;
ANALYZE security_events;
