//! Timestamps as users type them and as S3 expects them on the wire. [`parse_timestamp`] accepts the
//! forms people write or paste (RFC 3339 / ISO 8601 with or without an offset or fractional seconds, a
//! bare date, the compact `20260102T030405Z`, an HTTP date such as `Last-Modified` carries, or seconds
//! since the Unix epoch); [`format_timestamp`] writes one in a [`TimestampFormat`] exactly as botocore
//! does, so that requests match the AWS SDK's byte for byte. Nothing here knows about XML or HTTP.

use std::fmt::Write as _;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use crate::shape::TimestampFormat;

/// A string that is not a timestamp in any form [`parse_timestamp`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not a timestamp ({reason}); write it like 2026-01-02T03:04:05Z, \
     2026-01-02T03:04:05+02:00, 2026-01-02, or as seconds since 1970"
)]
pub struct TimestampError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses a timestamp written by a person.
///
/// Accepted, with surrounding whitespace ignored:
/// - RFC 3339 / ISO 8601: `2026-01-02T03:04:05Z`, `2026-01-02T03:04:05.123+02:00`, `...+0200`,
///   `...+02`; `T` may be a space or `t`, `Z` may be `z`; minutes-only times (`2026-01-02T03:04Z`).
///   Without an offset the time is taken as UTC (as botocore does), never as local time.
/// - a bare date `2026-01-02`, meaning midnight UTC;
/// - the compact form `20260102T030405Z` (the one `x-amz-date` uses);
/// - an HTTP date, `Fri, 02 Jan 2026 03:04:05 GMT` (what `Last-Modified` carries);
/// - seconds since the Unix epoch, `1767323045` (optionally negative or with a fraction).
///
/// Years must lie within 0000–9999.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, TimestampError> {
    let text = s.trim();
    let fail = |reason: &'static str| TimestampError {
        input: s.to_owned(),
        reason,
    };
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    let parsed = if looks_like_epoch(text) {
        parse_epoch(text)
    } else if text.as_bytes()[0].is_ascii_alphabetic() {
        parse_http_date(text)
    } else {
        parse_iso(text)
    };
    let t = parsed.map_err(fail)?;
    let in_range = t
        .checked_to_offset(UtcOffset::UTC)
        .is_some_and(|utc| (0..=9999).contains(&utc.year()));
    if !in_range {
        return Err(fail("the year is outside 0000-9999"));
    }
    Ok(t)
}

/// Writes a timestamp the way botocore writes it for `fmt`:
/// - [`TimestampFormat::Iso8601`]: UTC, `2026-01-02T03:04:05Z`, or with six fractional digits
///   (`2026-01-02T03:04:05.123000Z`) when the time has a non-zero microsecond part; finer precision is
///   truncated, as Python's datetime does;
/// - [`TimestampFormat::Rfc822`]: `Fri, 02 Jan 2026 03:04:05 GMT` (whole seconds);
/// - [`TimestampFormat::UnixTimestamp`]: whole seconds since the epoch, `1767323045`.
pub fn format_timestamp(t: OffsetDateTime, fmt: TimestampFormat) -> String {
    // Only a date at the very edge of the supported range (year 9999 with a negative offset) has no
    // UTC form; it is written in its own offset rather than panicking.
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    let mut out = String::with_capacity(32);
    // Writing to a String cannot fail; the results are ignored for that reason only.
    match fmt {
        TimestampFormat::Iso8601 => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            let micros = t.microsecond();
            if micros > 0 {
                let _ = write!(out, ".{micros:06}");
            }
            out.push('Z');
        }
        TimestampFormat::Rfc822 => {
            let _ = write!(
                out,
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                weekday_abbr(t.weekday()),
                t.day(),
                month_abbr(t.month()),
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            );
        }
        TimestampFormat::UnixTimestamp => {
            let _ = write!(out, "{}", t.unix_timestamp());
        }
    }
    out
}

fn weekday_abbr(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

const MONTHS: [(&str, Month); 12] = [
    ("Jan", Month::January),
    ("Feb", Month::February),
    ("Mar", Month::March),
    ("Apr", Month::April),
    ("May", Month::May),
    ("Jun", Month::June),
    ("Jul", Month::July),
    ("Aug", Month::August),
    ("Sep", Month::September),
    ("Oct", Month::October),
    ("Nov", Month::November),
    ("Dec", Month::December),
];

fn month_abbr(m: Month) -> &'static str {
    MONTHS[usize::from(u8::from(m)) - 1].0
}

/// `-?digits(.digits)?`: botocore treats anything `float()` accepts as epoch seconds, so a
/// compact date without a time (`20260102`) is epoch seconds too.
fn looks_like_epoch(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_epoch(text: &str) -> Result<OffsetDateTime, &'static str> {
    let negative = text.starts_with('-');
    let unsigned = text.trim_start_matches('-');
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let secs: i64 = int.parse().map_err(|_| "the number is too large")?;
    let nanos = fraction_nanos(frac.as_bytes());
    let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    let total = if negative { -total } else { total };
    OffsetDateTime::from_unix_timestamp_nanos(total).map_err(|_| "the number is out of range")
}

/// Nanoseconds of a fraction's digits (`"5"` is 500,000,000); digits past the ninth are dropped.
fn fraction_nanos(digits: &[u8]) -> u32 {
    let mut nanos = 0u32;
    for i in 0..9 {
        let d = digits.get(i).map_or(0, |b| u32::from(b - b'0'));
        nanos = nanos * 10 + d;
    }
    nanos
}

/// A cursor over ASCII bytes for the hand-written ISO 8601 parser below.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, set: &[u8]) -> bool {
        match self.peek() {
            Some(b) if set.contains(&b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(
            slice
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
        )
    }

    /// One or more digits, as a slice.
    fn digit_run(&mut self) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn parse_iso(text: &str) -> Result<OffsetDateTime, &'static str> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4).ok_or("expected a four-digit year")?;
    // Extended form `2026-01-02` or basic form `20260102`; the time must use the same form.
    let extended = c.eat(b'-');
    let month = c.digits(2).ok_or("expected a two-digit month")?;
    if extended && !c.eat(b'-') {
        return Err("expected '-' after the month");
    }
    let day = c.digits(2).ok_or("expected a two-digit day")?;
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or("the month is not 01-12")?;
    let year = i32::try_from(year).map_err(|_| "the year is out of range")?;
    let day = u8::try_from(day).map_err(|_| "the day is out of range")?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| "no such day")?;
    if c.at_end() {
        return Ok(date.midnight().assume_utc());
    }
    if !c.eat_any(b"Tt ") {
        return Err("expected 'T' between the date and the time");
    }
    let hour = c.digits(2).ok_or("expected a two-digit hour")?;
    if extended && !c.eat(b':') {
        return Err("expected ':' after the hour");
    }
    let minute = c.digits(2).ok_or("expected two-digit minutes")?;
    let mut second = 0;
    let mut nanos = 0;
    let has_seconds = if extended {
        c.eat(b':')
    } else {
        c.peek().is_some_and(|b| b.is_ascii_digit())
    };
    if has_seconds {
        second = c.digits(2).ok_or("expected two-digit seconds")?;
        if c.eat_any(b".,") {
            let frac = c.digit_run();
            if frac.is_empty() {
                return Err("expected digits after the decimal point");
            }
            nanos = fraction_nanos(frac);
        }
    }
    let to_u8 = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    let time = Time::from_hms_nano(to_u8(hour), to_u8(minute), to_u8(second), nanos)
        .map_err(|_| "the time of day is out of range")?;
    // No offset at all means UTC, as botocore assumes (never local time).
    let offset = if c.at_end() || c.eat_any(b"Zz") {
        UtcOffset::UTC
    } else if let Some(sign) = c.peek().filter(|b| *b == b'+' || *b == b'-') {
        c.pos += 1;
        let oh = c.digits(2).ok_or("expected a two-digit offset hour")?;
        let om = if c.at_end() {
            0
        } else {
            c.eat(b':');
            c.digits(2).ok_or("expected two-digit offset minutes")?
        };
        let (oh, om) = (to_u8(oh), to_u8(om));
        if oh > 23 || om > 59 {
            return Err("the offset is out of range");
        }
        let (oh, om) = (oh as i8, om as i8);
        let (oh, om) = if sign == b'-' { (-oh, -om) } else { (oh, om) };
        UtcOffset::from_hms(oh, om, 0).map_err(|_| "the offset is out of range")?
    } else {
        return Err("expected 'Z' or an offset such as +02:00 after the time");
    };
    if !c.at_end() {
        return Err("unexpected text after the timestamp");
    }
    Ok(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// `Fri, 02 Jan 2026 03:04:05 GMT` (RFC 7231's IMF-fixdate; the weekday is optional and not checked
/// against the date, `UTC` and `+0000` are accepted for the zone).
fn parse_http_date(text: &str) -> Result<OffsetDateTime, &'static str> {
    let rest = match text.split_once(',') {
        Some((weekday, rest))
            if weekday.len() >= 3 && weekday.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            rest
        }
        Some(_) => return Err("expected a weekday such as 'Fri,' at the start"),
        None => text,
    };
    let mut parts = rest.split_ascii_whitespace();
    let (Some(day), Some(month), Some(year), Some(clock), zone, None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err("expected a date like 'Fri, 02 Jan 2026 03:04:05 GMT'");
    };
    let number = |s: &str, max_len: usize| -> Option<u32> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    let day = number(day, 2).ok_or("expected a day of the month")?;
    let month = MONTHS
        .iter()
        .find(|(abbr, _)| abbr.eq_ignore_ascii_case(month))
        .map(|(_, m)| *m)
        .ok_or("expected a month such as 'Jan'")?;
    if year.len() != 4 {
        return Err("expected a four-digit year");
    }
    let year = number(year, 4).ok_or("expected a four-digit year")?;
    let mut hms = clock.split(':');
    let (Some(h), Some(m), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next()) else {
        return Err("expected the time as HH:MM:SS");
    };
    let (h, m, s) = (
        number(h, 2).ok_or("expected the time as HH:MM:SS")?,
        number(m, 2).ok_or("expected the time as HH:MM:SS")?,
        number(s, 2).ok_or("expected the time as HH:MM:SS")?,
    );
    match zone {
        None => {}
        Some(z)
            if ["GMT", "UTC", "UT", "Z", "+0000", "-0000"]
                .iter()
                .any(|g| g.eq_ignore_ascii_case(z)) => {}
        Some(_) => return Err("expected the zone GMT"),
    }
    let to_u8 = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    let year = i32::try_from(year).map_err(|_| "the year is out of range")?;
    let date = Date::from_calendar_date(year, month, to_u8(day)).map_err(|_| "no such day")?;
    let time = Time::from_hms(to_u8(h), to_u8(m), to_u8(s))
        .map_err(|_| "the time of day is out of range")?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}
