-- Login History free-text search (PostgreSQL): a pg_trgm GIN index over the
-- three searchable columns as one stored text: lowercased, one column per
-- line, with ASCII punctuation and spaces turned into 'z' so that an IP
-- address or "Berlin, BE" keeps its trigrams across dots and commas (pg_trgm
-- would otherwise cut words there, and "10.7.7.7" would have no trigram
-- worth asking for). The search asks this column for a few of the text's
-- rarest trigrams; the exact LIKE on each column still decides every row.
-- Stored (computed once per event) because the index's matches are
-- rechecked against it, and translate() is slow to run per row.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE security_events ADD COLUMN search_text TEXT GENERATED ALWAYS AS (
    translate(lower(ip || E'\n' || device || E'\n' || location),
        ' !"#$%&''()*+,-./:;<=>?@[\]^_`{|}~',
        'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz')
) STORED;
CREATE INDEX security_events_search ON security_events USING gin (search_text gin_trgm_ops);
