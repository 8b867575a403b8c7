//! Time on both sides: the clock (`now_ms`), the day length, and calendar
//! maths for UTC dates ("2026-11-27", "2026-11-26 23:00 UTC", "5 minutes ago").
//! Every timestamp in the app is Unix milliseconds UTC.

/// Milliseconds per minute.
pub const MINUTE_MS: i64 = 60 * 1000;
/// Milliseconds per hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds per day: also the unit of the history's day buckets.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Current time in Unix milliseconds, on either side.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys_now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> i64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| (p.time_origin() + p.now()) as i64)
        .unwrap_or(0)
}

/// "just now", "5 minutes ago", "3 days ago", "in 2 hours".
pub fn relative_phrase(then_ms: i64, now_ms: i64) -> String {
    let delta = (now_ms - then_ms) / 1000;
    let future = delta < 0;
    let secs = delta.abs();
    let (amount, unit) = match secs {
        0..=9 => return "just now".into(),
        10..=59 => (secs, "second"),
        60..=3_599 => (secs / 60, "minute"),
        3_600..=86_399 => (secs / 3_600, "hour"),
        86_400..=2_591_999 => (secs / 86_400, "day"),
        2_592_000..=31_535_999 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let amount = amount.max(1);
    let plural = if amount == 1 { "" } else { "s" };
    if future {
        format!("in {amount} {unit}{plural}")
    } else {
        format!("{amount} {unit}{plural} ago")
    }
}

/// `2026-11-26 22:58 UTC` from Unix milliseconds.
pub fn utc_datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// `2026-11-27` (UTC) from Unix milliseconds.
pub fn iso_date(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(1000).div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// ISO 8601 for `<time datetime>`.
pub fn iso_datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// `YYYY-MM-DD` → days since the epoch; only real dates from 1970 to 9999.
pub fn parse_day(text: &str, field: &str) -> Result<Option<i64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("The {field} date must look like 2026-11-27.");
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>())
    else {
        return Err(bad());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if year < 1970 || day == 0 || day > days_in_month {
        return Err(bad());
    }
    Ok(Some(days_from_civil(year, month, day)))
}

// Howard Hinnant's days-from-civil.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_phrases_read_naturally() {
        let now = 1_000_000_000_000;
        assert_eq!(relative_phrase(now - 5_000, now), "just now");
        assert_eq!(relative_phrase(now - 25_000, now), "25 seconds ago");
        assert_eq!(relative_phrase(now - 60_000, now), "1 minute ago");
        assert_eq!(relative_phrase(now - 5 * 60_000, now), "5 minutes ago");
        assert_eq!(relative_phrase(now - 60 * 60_000, now), "1 hour ago");
        assert_eq!(relative_phrase(now - 3 * 86_400_000, now), "3 days ago");
        assert_eq!(relative_phrase(now + 2 * 3_600_000, now), "in 2 hours");
    }

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_datetime(1_795_734_000_000), "2026-11-26 23:00 UTC");
        assert_eq!(iso_datetime(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
