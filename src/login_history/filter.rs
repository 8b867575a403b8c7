//! The Login History filter: read from the URL query (the page, the export
//! and the API share one parser), validated, and written back to a query.

use super::{Category, Outcome};
use crate::ids::{encode_query_component, is_uuid_shaped};
use crate::time::{DAY_MS, iso_date, parse_day};
use serde::{Deserialize, Serialize};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;
const TEXT_MAX_CHARS: usize = 100;

/// The preset time ranges (and "custom").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
pub enum Range {
    #[strum(serialize = "24h")]
    Day,
    #[strum(serialize = "7d")]
    Week,
    #[strum(serialize = "30d")]
    Month,
    #[strum(serialize = "90d")]
    Quarter,
    #[strum(serialize = "custom")]
    Custom,
}

crate::text_enum!(Range);

impl Range {
    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "Last 24 hours",
            Range::Week => "Last 7 days",
            Range::Month => "Last 30 days",
            Range::Quarter => "Last 90 days",
            Range::Custom => "Custom dates",
        }
    }
}

/// A position in the list: the (time, id) of a row, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    /// `<unix ms>_<event id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at, self.id)
    }

    fn parse(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('_')?;
        let at: i64 = at.parse().ok().filter(|at| *at >= 0)?;
        is_uuid_shaped(id).then(|| Cursor {
            at,
            id: id.to_ascii_lowercase(),
        })
    }
}

/// Which page: the newest, older than a row, or newer than a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PagePosition {
    Newest,
    Before(Cursor),
    After(Cursor),
}

/// A validated filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Empty means every category.
    pub categories: Vec<Category>,
    pub outcome: Option<Outcome>,
    pub range: Range,
    /// Custom range as days since the Unix epoch (UTC), inclusive.
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    /// Matches IP, device or location, case-insensitively.
    pub text: String,
    pub position: PagePosition,
}

impl Default for HistoryFilter {
    fn default() -> Self {
        HistoryFilter {
            categories: Vec::new(),
            outcome: None,
            range: Range::Month,
            from_day: None,
            to_day: None,
            text: String::new(),
            position: PagePosition::Newest,
        }
    }
}

impl HistoryFilter {
    /// Reads a URL query (`category=failed&result=failure&range=7d&q=…`);
    /// anything malformed is refused with a message naming it.
    pub fn from_query(query: &str) -> Result<HistoryFilter, String> {
        let mut filter = HistoryFilter::default();
        let query = query.trim_start_matches('?');
        if query.len() > 4096 {
            return Err("The filter is too long.".into());
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value).ok_or("The filter is not valid text.")?;
            match key {
                "category" => {
                    for name in value.split(',').filter(|v| !v.is_empty()) {
                        let category = name
                            .parse::<Category>()
                            .ok()
                            .ok_or_else(|| format!("Unknown event category {name:?}."))?;
                        if !filter.categories.contains(&category) {
                            filter.categories.push(category);
                        }
                    }
                }
                "result" => {
                    filter.outcome = match value.as_str() {
                        "" | "any" => None,
                        other => Some(
                            other
                                .parse::<Outcome>()
                                .ok()
                                .ok_or_else(|| format!("Unknown result {other:?}."))?,
                        ),
                    }
                }
                "range" => {
                    filter.range = value
                        .parse::<Range>()
                        .ok()
                        .ok_or_else(|| format!("Unknown time range {value:?}."))?
                }
                "from" => filter.from_day = parse_day(&value, "from")?,
                "to" => filter.to_day = parse_day(&value, "to")?,
                "q" => {
                    if value.chars().count() > TEXT_MAX_CHARS {
                        return Err("Search text is at most 100 characters.".into());
                    }
                    filter.text = value.trim().to_string();
                }
                "before" | "after" => {
                    let cursor = Cursor::parse(&value).ok_or("That page link is not valid.")?;
                    filter.position = if key == "before" {
                        PagePosition::Before(cursor)
                    } else {
                        PagePosition::After(cursor)
                    };
                }
                // Other parameters (e.g. the export's `format`) belong to others.
                _ => {}
            }
        }
        if filter.range == Range::Custom {
            match (filter.from_day, filter.to_day) {
                (Some(from), Some(to)) if from > to => {
                    return Err("The start date is after the end date.".into());
                }
                (None, _) | (_, None) => {
                    return Err("Choose both a start and an end date.".into());
                }
                _ => {}
            }
        }
        Ok(filter)
    }

    /// The time window `[from, to)` in Unix ms for `now`.
    pub fn window(&self, now: i64) -> (i64, i64) {
        let days = |n: i64| now - n * DAY_MS;
        let (start, end) = match self.range {
            Range::Day => (days(1), now + 1),
            Range::Week => (days(7), now + 1),
            Range::Month => (days(30), now + 1),
            Range::Quarter => (days(90), now + 1),
            Range::Custom => (
                self.from_day.unwrap_or(0) * DAY_MS,
                (self.to_day.unwrap_or(0) + 1) * DAY_MS,
            ),
        };
        (start, end.min(now + 1))
    }

    /// Refuses a custom range outside the days the history keeps (the last
    /// `retention_days` up to today), so no request asks for more than that.
    pub fn check_range(&self, now: i64, retention_days: i64) -> Result<(), String> {
        if self.range != Range::Custom {
            return Ok(());
        }
        let today = now.div_euclid(DAY_MS);
        let first = today - retention_days + 1;
        let inside = |day: Option<i64>| day.is_none_or(|day| (first..=today).contains(&day));
        if inside(self.from_day) && inside(self.to_day) {
            Ok(())
        } else {
            Err(format!(
                "The Login History keeps {retention_days} days: choose dates from {} to {}.",
                iso_date(first * DAY_MS),
                iso_date(today * DAY_MS)
            ))
        }
    }

    /// The filter as a query, without the page position.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.categories.is_empty() {
            let names: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
            parts.push(format!("category={}", names.join(",")));
        }
        if let Some(outcome) = self.outcome {
            parts.push(format!("result={}", outcome.as_str()));
        }
        if self.range != Range::Month {
            parts.push(format!("range={}", self.range.as_str()));
        }
        if self.range == Range::Custom {
            if let Some(day) = self.from_day {
                parts.push(format!("from={}", iso_date(day * DAY_MS)));
            }
            if let Some(day) = self.to_day {
                parts.push(format!("to={}", iso_date(day * DAY_MS)));
            }
        }
        if !self.text.is_empty() {
            parts.push(format!("q={}", encode_query_component(&self.text)));
        }
        parts.join("&")
    }

    /// The query for a page link: the filter plus a position.
    pub fn page_query(&self, position: &PagePosition) -> String {
        let base = self.to_query();
        let cursor = match position {
            PagePosition::Newest => return base,
            PagePosition::Before(cursor) => format!("before={}", cursor.encode()),
            PagePosition::After(cursor) => format!("after={}", cursor.encode()),
        };
        if base.is_empty() {
            cursor
        } else {
            format!("{base}&{cursor}")
        }
    }
}

/// Decodes `%XX` and `+`; `None` for broken escapes or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_query_round_trips() {
        let query = "category=failed,two_factor&result=failure&range=custom&from=2026-11-01&to=2026-11-27&q=10.0%20";
        let filter = HistoryFilter::from_query(query).unwrap();
        assert_eq!(
            filter.categories,
            [Category::FailedAttempts, Category::TwoFactor]
        );
        assert_eq!(filter.outcome, Some(Outcome::Failure));
        assert_eq!(filter.text, "10.0");
        assert_eq!(
            HistoryFilter::from_query(&filter.to_query()).unwrap(),
            filter
        );
        // Asked after the range ended, so the cap at "now" leaves it whole.
        let (from, to) = filter.window(4_000_000_000_000);
        assert_eq!(to - from, 27 * DAY_MS);
    }

    #[test]
    fn malformed_filters_are_refused() {
        let long = format!("q={}", "x".repeat(200));
        for bad in [
            "category=nope",
            "result=maybe",
            "range=forever",
            "range=custom&from=2026-02-30&to=2026-03-01",
            "range=custom&from=2026-13-01&to=2026-12-01",
            "range=custom&from=2026-11-27&to=2026-11-01",
            "range=custom&from=2026-11-01",
            "before=123",
            "before=1_not-a-uuid",
            "after=-5_0190f3a2-7b1c-7d4e-8f00-0123456789ab",
            "q=%ZZ",
            "q=%C3%28",
            long.as_str(),
        ] {
            assert!(HistoryFilter::from_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_and_days_parse_exactly() {
        let cursor = Cursor::parse("1795734000000_0190F3A2-7B1C-7D4E-8F00-0123456789AB").unwrap();
        assert_eq!(cursor.at, 1_795_734_000_000);
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(parse_day("1970-01-01", "from"), Ok(Some(0)));
        assert_eq!(parse_day("2000-02-29", "from"), Ok(Some(11_016)));
        assert!(parse_day("1900-02-29", "from").is_err());
    }
}
