//! How the Login History's free-text filter finds its rows among a million
//! events. A trigram index narrows the candidates — FTS5 with the `trigram`
//! tokenizer on SQLite (`security_events_search`, kept by triggers), a
//! pg_trgm GIN index on PostgreSQL — and the same case-insensitive substring
//! test over ip, device and location as always decides every row, so the
//! index can only make a query faster, never change its answer.
//!
//! A trigram found in many events costs more to walk than it saves (every
//! IP address starts "10." on some networks), so the search first looks at
//! the newest events, picks the text's rarest trigrams and asks the index
//! for those only; when none is rare the term is common, and walking the
//! person's events newest first fills a page within a few rows (the plain
//! scan). Text under three characters has no trigram: the plain scan.

use anyhow::Context;
use sqlx::{AnyPool, Row};
use std::collections::HashSet;

/// PostgreSQL's stored, trigram-indexed column
/// (`migrations/postgres/0017_history_search.sql`): the three columns
/// lowercased, one per line, with ASCII punctuation and spaces as `z` so
/// that "10.7.7.7" is one word to pg_trgm; [`pg_search_text`] in Rust.
pub(super) const PG_SEARCH_TEXT: &str = "search_text";

/// How many of the newest events the trigram frequencies come from.
const SAMPLE: i64 = 500;
/// The rarest trigram must be in at most this many of the sampled events
/// (1 %), or the term is common and the plain scan answers.
const RARE: usize = 5;
/// Further trigrams (up to [`TERMS_MAX`]) are asked for when in at most this
/// many sampled events (5 %): each narrows more than its walk costs.
const SELECTIVE: usize = 25;
const TERMS_MAX: usize = 3;
/// SQLite looks each candidate up by rowid; past this many, walking the
/// person's events in time order is cheaper.
const CANDIDATES_MAX: i64 = 5000;

/// The text filter as one query applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TextMatch {
    /// `%text%`, lowercased, with `%`, `_` and `\` escaped: the LIKE that decides.
    pub(super) pattern: String,
    /// PostgreSQL: the text as [`PG_SEARCH_TEXT`] holds it, which every
    /// match contains (a cheap test before the LIKE on three columns).
    pub(super) pg_text: String,
    pub(super) sqlite: bool,
    pub(super) narrowing: Narrowing,
    /// PostgreSQL: test [`PG_SEARCH_TEXT`] with `strpos` before the three
    /// LIKEs, which most rows then skip. Behind the trigram index, and when
    /// every match is counted; not on a plain page walk, where the extra
    /// test lowers the planner's estimate of matches until it may sort the
    /// whole window instead of walking it newest first.
    pub(super) prefilter: bool,
}

impl TextMatch {
    /// The LIKE alone, over the scope's events in the window: for a few
    /// hours of them, where asking an index would cost more than it saves.
    pub(super) fn plain(lowered: &str, sqlite: bool) -> TextMatch {
        TextMatch {
            pattern: like_pattern(lowered),
            pg_text: pg_search_text(lowered),
            sqlite,
            narrowing: Narrowing::None,
            prefilter: false,
        }
    }

    /// The same filter for a query that counts every match (the chart): a
    /// cheaper test per row matters more there than the planner's estimate.
    pub(super) fn counting(mut self) -> TextMatch {
        self.prefilter = !self.sqlite;
        self
    }
}

/// Which index narrows the candidates before the LIKE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Narrowing {
    /// None: the plain scan of the scope's events in the window.
    None,
    /// SQLite: the rowids (a JSON array) the FTS5 index found for the
    /// chosen trigrams, looked up one by one.
    Rowids(String),
    /// PostgreSQL: `%trigram%` patterns over [`PG_SEARCH_TEXT`].
    Trigrams(Vec<String>),
}

/// Plans the text filter; `None` without text.
pub(super) async fn plan(pool: &AnyPool, text: &str) -> anyhow::Result<Option<TextMatch>> {
    if text.is_empty() {
        return Ok(None);
    }
    let sqlite = crate::server::db::is_sqlite(pool);
    let lowered = text.to_lowercase();
    let mut plan = TextMatch::plain(&lowered, sqlite);
    let terms = if sqlite {
        trigrams(&lowered)
    } else {
        trigrams(&plan.pg_text)
            .into_iter()
            .filter(|term| term.chars().all(|c| c.is_ascii_alphanumeric()))
            .collect()
    };
    if terms.is_empty() {
        return Ok(Some(plan));
    }
    let sample = newest_texts(pool, sqlite).await?;
    let chosen = rarest(&terms, &sample);
    if chosen.is_empty() {
        return Ok(Some(plan));
    }
    if sqlite {
        if let Some(rowids) = fts_candidates(pool, &fts_query(&chosen)).await? {
            plan.narrowing = Narrowing::Rowids(rowids);
        }
    } else {
        plan.narrowing = Narrowing::Trigrams(chosen.iter().map(|t| format!("%{t}%")).collect());
        plan.prefilter = true;
    }
    Ok(Some(plan))
}

/// What the address column holds when an event is recorded instead of an
/// address it could not read ([`super::events::record`] stores nothing else).
pub(super) const UNKNOWN_ADDRESS: &str = "unknown";

/// Whether `text` (lowercased) may be found in an event's address: the
/// column holds an IP address as Rust writes it (digits, `a`–`f`, `.` and
/// `:`), [`UNKNOWN_ADDRESS`] or nothing. When it may not, only the device
/// and the location can match, and the per-day counts by origin answer
/// for them.
pub(super) fn may_match_address(lowered: &str) -> bool {
    lowered
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
        || UNKNOWN_ADDRESS.contains(lowered)
}

/// The LIKE pattern that decides a match: `%text%`, lowercased, escaped.
pub(super) fn like_pattern(lowered: &str) -> String {
    format!("%{}%", escape_like(lowered))
}

/// `%`, `_` and `\\` match themselves.
pub(super) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// [`PG_SEARCH_TEXT`]'s mapping of already lowercased text.
fn pg_search_text(lowered: &str) -> String {
    lowered
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_punctuation() {
                'z'
            } else {
                c
            }
        })
        .collect()
}

/// The distinct three-character windows of the text, in order. None when
/// the text holds a NUL, which neither index handles as text.
fn trigrams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.contains(&'\0') {
        return Vec::new();
    }
    let mut seen = HashSet::new();
    chars
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

/// The rarest terms by how many sampled texts contain them: none when even
/// the rarest is common, else it and up to two more that still narrow.
fn rarest(terms: &[String], sample: &[String]) -> Vec<String> {
    let mut counted: Vec<(usize, &String)> = terms
        .iter()
        .map(|term| {
            (
                sample.iter().filter(|s| s.contains(term.as_str())).count(),
                term,
            )
        })
        .collect();
    counted.sort_by_key(|(count, _)| *count);
    match counted.first() {
        Some((count, _)) if *count <= RARE => counted
            .iter()
            .take(TERMS_MAX)
            .filter(|(count, _)| *count <= SELECTIVE)
            .map(|(_, term)| (*term).clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Each term as an FTS5 string (inside double quotes, a quote doubled):
/// a single trigram token, so no FTS5 syntax in the text can act as such.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The newest events' searchable text, as each index sees it (roughly: the
/// frequencies only choose which trigrams to ask for).
async fn newest_texts(pool: &AnyPool, sqlite: bool) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT ip, device, location FROM security_events ORDER BY occurred_at DESC LIMIT $1",
    )
    .bind(SAMPLE)
    .fetch_all(pool)
    .await
    .context("Failed to sample the login history for a search")?;
    rows.iter()
        .map(|row| {
            let text = format!(
                "{}\n{}\n{}",
                row.try_get::<String, _>("ip")?,
                row.try_get::<String, _>("device")?,
                row.try_get::<String, _>("location")?
            )
            .to_lowercase();
            Ok(if sqlite { text } else { pg_search_text(&text) })
        })
        .collect()
}

/// The rowids the FTS5 query finds, as a JSON array (one value to bind,
/// read back with `json_each`); none when more than [`CANDIDATES_MAX`].
async fn fts_candidates(pool: &AnyPool, query: &str) -> anyhow::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(json_group_array(rowid), '[]') AS rowids
         FROM (SELECT rowid FROM security_events_search
               WHERE security_events_search MATCH $1 LIMIT $2) AS candidates",
    )
    .bind(query)
    .bind(CANDIDATES_MAX + 1)
    .fetch_one(pool)
    .await
    .context("Failed to search the login history")?;
    let found: i64 = row.try_get("n")?;
    Ok((found <= CANDIDATES_MAX)
        .then(|| row.try_get("rowids"))
        .transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_distinct_windows_and_none_for_short_or_nul_text() {
        assert_eq!(trigrams("abab"), vec!["aba", "bab"]);
        assert!(trigrams("ab").is_empty());
        assert!(trigrams("a\0bcd").is_empty());
        assert_eq!(trigrams("été!"), vec!["été", "té!"]);
    }

    #[test]
    fn fts_terms_are_quoted_strings_whatever_they_hold() {
        let terms = vec!["a\"b".to_string(), "*:-".to_string()];
        assert_eq!(fts_query(&terms), r#""a""b" AND "*:-""#);
    }

    #[test]
    fn the_rarest_terms_are_chosen_and_common_ones_left_out() {
        let sample: Vec<String> = (0..500)
            .map(|n| format!("10.{}.{}", n % 250, n % 7))
            .collect();
        let terms = trigrams("10.249.3");
        let chosen = rarest(&terms, &sample);
        assert!(!chosen.contains(&"10.".to_string()), "{chosen:?}");
        assert!(!chosen.is_empty() && chosen.len() <= TERMS_MAX);
        assert!(rarest(&trigrams("10."), &sample).is_empty());
    }

    #[test]
    fn only_text_an_address_or_unknown_could_hold_may_match_an_address() {
        for text in [
            "10.7",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "be",
            "fe80",
            "unknown",
            "know",
            "n",
            "",
        ] {
            assert!(may_match_address(text), "{text}");
        }
        for text in [
            "berlin",
            "iphone",
            "10.0.0.1 ",
            "be, de",
            "x",
            "unknownx",
            "ü",
            "10%",
        ] {
            assert!(!may_match_address(text), "{text}");
        }
    }

    #[test]
    fn pg_text_turns_punctuation_and_spaces_into_z() {
        assert_eq!(pg_search_text("10.0.0.7 berlin, be"), "10z0z0z7zberlinzzbe");
        assert_eq!(escape_like("50%_\\"), "50\\%\\_\\\\");
    }
}
