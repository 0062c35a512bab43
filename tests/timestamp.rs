//! Timestamps (`s3op::timestamp`): every form `parse_timestamp` reads (RFC 3339 and its relaxed
//! forms, the compact SigV4 form, HTTP dates, epoch seconds), the refusals and their reason, the
//! three wire formats `format_timestamp` writes as botocore does, and round trips as properties.

use proptest::prelude::*;
use s3op::shape::TimestampFormat;
use s3op::timestamp::{format_timestamp, parse_timestamp};
use time::macros::datetime;
use time::OffsetDateTime;

fn p(s: &str) -> OffsetDateTime {
    match parse_timestamp(s) {
        Ok(t) => t,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

const BASE: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

#[test]
fn parses_rfc3339_forms() {
    assert_eq!(p("2026-01-02T03:04:05Z"), BASE);
    assert_eq!(p("2026-01-02T03:04:05+00:00"), BASE);
    assert_eq!(p("2026-01-02T05:04:05+02:00"), BASE);
    assert_eq!(p("2026-01-02T05:04:05+0200"), BASE);
    assert_eq!(p("2026-01-02T05:04:05+02"), BASE);
    assert_eq!(p("2026-01-01T22:04:05-05:00"), BASE);
    assert_eq!(p("2026-01-02t03:04:05z"), BASE);
    assert_eq!(p("2026-01-02 03:04:05Z"), BASE);
    assert_eq!(p("  2026-01-02T03:04:05Z \n"), BASE);
}

#[test]
fn no_offset_means_utc() {
    assert_eq!(p("2026-01-02T03:04:05"), BASE);
    assert_eq!(p("2026-01-02T03:04"), datetime!(2026-01-02 03:04:00 UTC));
    assert_eq!(p("2026-01-02"), datetime!(2026-01-02 00:00:00 UTC));
}

#[test]
fn fractional_seconds() {
    assert_eq!(
        p("2026-01-02T03:04:05.5Z"),
        datetime!(2026-01-02 03:04:05.5 UTC)
    );
    assert_eq!(p("2026-01-02T03:04:05.000Z"), BASE);
    assert_eq!(
        p("2026-01-02T03:04:05,25Z"),
        datetime!(2026-01-02 03:04:05.25 UTC)
    );
    assert_eq!(
        p("2026-01-02T03:04:05.123456789123Z"),
        datetime!(2026-01-02 03:04:05.123456789 UTC)
    );
}

#[test]
fn compact_http_and_epoch_forms() {
    assert_eq!(p("20260102T030405Z"), BASE);
    assert_eq!(p("Fri, 02 Jan 2026 03:04:05 GMT"), BASE);
    assert_eq!(p("1767323045"), BASE);
    assert_eq!(p("1767323045.5"), datetime!(2026-01-02 03:04:05.5 UTC));
    assert_eq!(p("0"), OffsetDateTime::UNIX_EPOCH);
    assert_eq!(p("-86400"), datetime!(1969-12-31 00:00:00 UTC));
}

#[test]
fn rejects_nonsense_with_a_reason() {
    for bad in [
        "",
        "   ",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-01-02T25:00:00Z",
        "2026-01-02T03:04:60Z",
        "2026-01-02T03:04:05X",
        "2026-01-02T03:04:05Z trailing",
        "2026-01-02T03:04:05.Z",
        "2026-1-2",
        "2026-01-02T03:04:05+25:00",
        "Fri, 02 Foo 2026 03:04:05 GMT",
        "Fri, 02 Jan 2026 03:04:05 PST",
        "99999999999999999999999",
        "1.",
        "--5",
    ] {
        let err = parse_timestamp(bad).expect_err(bad);
        assert_eq!(err.input, bad);
        assert!(err.to_string().contains("2026-01-02T03:04:05Z"), "{err}");
    }
}

#[test]
fn formats_like_botocore() {
    // From the oracle: DeleteObjects' LastModifiedTime (rfc822), PutObjectRetention's
    // RetainUntilDate (iso8601), both given as 2026-01-02T03:04:05+00:00.
    assert_eq!(
        format_timestamp(BASE, TimestampFormat::Rfc822),
        "Fri, 02 Jan 2026 03:04:05 GMT"
    );
    assert_eq!(
        format_timestamp(BASE, TimestampFormat::Iso8601),
        "2026-01-02T03:04:05Z"
    );
    assert_eq!(
        format_timestamp(BASE, TimestampFormat::UnixTimestamp),
        "1767323045"
    );
    // botocore: ISO8601_MICRO when microseconds > 0, sub-microsecond digits dropped.
    let frac = datetime!(2026-01-02 03:04:05.123 UTC);
    assert_eq!(
        format_timestamp(frac, TimestampFormat::Iso8601),
        "2026-01-02T03:04:05.123000Z"
    );
    let nanos = datetime!(2026-01-02 03:04:05.000000999 UTC);
    assert_eq!(
        format_timestamp(nanos, TimestampFormat::Iso8601),
        "2026-01-02T03:04:05Z"
    );
    assert_eq!(
        format_timestamp(frac, TimestampFormat::Rfc822),
        "Fri, 02 Jan 2026 03:04:05 GMT"
    );
    assert_eq!(
        format_timestamp(frac, TimestampFormat::UnixTimestamp),
        "1767323045"
    );
    // Converted to UTC first.
    let local = datetime!(2026-01-02 05:04:05 +02:00);
    assert_eq!(
        format_timestamp(local, TimestampFormat::Iso8601),
        "2026-01-02T03:04:05Z"
    );
    assert_eq!(
        format_timestamp(local, TimestampFormat::Rfc822),
        "Fri, 02 Jan 2026 03:04:05 GMT"
    );
    let early = datetime!(0987-06-05 04:03:02 UTC);
    assert_eq!(
        format_timestamp(early, TimestampFormat::Iso8601),
        "0987-06-05T04:03:02Z"
    );
    assert_eq!(
        format_timestamp(early, TimestampFormat::Rfc822),
        "Tue, 05 Jun 0987 04:03:02 GMT"
    );
}

#[test]
fn the_oracle_inputs_format_to_the_oracle_outputs() {
    let t = p("2026-01-02T03:04:05+00:00");
    assert_eq!(
        format_timestamp(t, TimestampFormat::Rfc822),
        "Fri, 02 Jan 2026 03:04:05 GMT"
    );
    assert_eq!(
        format_timestamp(t, TimestampFormat::Iso8601),
        "2026-01-02T03:04:05Z"
    );
}

proptest! {
    #[test]
    fn every_format_parses_back(secs in -62_135_596_800i64..253_402_300_799, micros in 0u32..1_000_000) {
        let t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::microseconds(i64::from(micros));
        prop_assume!((0..=9999).contains(&t.year()));
        let iso = format_timestamp(t, TimestampFormat::Iso8601);
        prop_assert_eq!(parse_timestamp(&iso).unwrap(), t);
        let whole = t.replace_nanosecond(0).unwrap();
        let rfc = format_timestamp(t, TimestampFormat::Rfc822);
        prop_assert_eq!(parse_timestamp(&rfc).unwrap(), whole);
        let unix = format_timestamp(t, TimestampFormat::UnixTimestamp);
        prop_assert_eq!(parse_timestamp(&unix).unwrap(), whole);
    }

    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = parse_timestamp(&s);
    }

    #[test]
    fn never_panics_on_near_misses(s in "[0-9T:Z+\\-., ]{0,30}") {
        let _ = parse_timestamp(&s);
    }
}
