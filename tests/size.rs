//! The one size parser (`s3op::config::parse_size`) behind `--part-size`, `--chunk-size` and the
//! profile's `multipart_chunksize`: the forms both of its predecessors accepted, the errors it
//! names, and properties over generated sizes, units, spacing and case.

use proptest::prelude::*;
use s3op::config::{parse_size, SizeError};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;
const TIB: u64 = 1024 * GIB;

/// Every unit the parser documents, with its factor in bytes.
const UNITS: [(&str, u64); 13] = [
    ("B", 1),
    ("K", KIB),
    ("KB", KIB),
    ("KiB", KIB),
    ("M", MIB),
    ("MB", MIB),
    ("MiB", MIB),
    ("G", GIB),
    ("GB", GIB),
    ("GiB", GIB),
    ("T", TIB),
    ("TB", TIB),
    ("TiB", TIB),
];

#[test]
fn forms_the_aws_cli_and_the_high_level_commands_accepted() {
    let cases: [(&str, u64); 16] = [
        // config's multipart_chunksize cases
        ("8388608", 8 * MIB),
        ("8MB", 8 * MIB),
        ("8 mib", 8 * MIB),
        ("1KB", KIB),
        ("2GiB", 2 * GIB),
        ("1TB", TIB),
        ("100b", 100),
        // the high-level commands' --part-size cases
        ("1048576", MIB),
        ("8MiB", 8 * MIB),
        ("16M", 16 * MIB),
        ("5mb", 5 * MIB),
        ("64k", 64 * KIB),
        ("1GiB", GIB),
        // surrounding whitespace, and zero (callers check their own range)
        ("  20971520\n", 20 * MIB),
        ("0", 0),
        ("0KiB", 0),
    ];
    for (text, bytes) in cases {
        assert_eq!(parse_size(text), Ok(bytes), "{text:?}");
    }
}

#[test]
fn each_refusal_says_what_is_wrong() {
    let not_a_number = |t: &str| SizeError::NotANumber { text: t.into() };
    let not_whole = |t: &str| SizeError::NotWhole { text: t.into() };
    let unknown_unit = |t: &str| SizeError::UnknownUnit { text: t.into() };
    let too_large = |t: &str| SizeError::TooLarge { text: t.into() };
    let cases: [(&str, SizeError); 14] = [
        ("", SizeError::Empty),
        ("  ", SizeError::Empty),
        ("MB", not_a_number("MB")),
        ("MiB", not_a_number("MiB")),
        ("-1", not_a_number("-1")),
        ("-5MB", not_a_number("-5MB")),
        ("lots", not_a_number("lots")),
        ("1.5M", not_whole("1.5M")),
        ("1.5MB", not_whole("1.5MB")),
        ("8 parsecs", unknown_unit("8 parsecs")),
        ("12XB", unknown_unit("12XB")),
        ("8 M B", unknown_unit("8 M B")),
        ("99999999999999999999G", too_large("99999999999999999999G")),
        (
            "99999999999999999999TB",
            too_large("99999999999999999999TB"),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_size(text), Err(expected), "{text:?}");
    }
    assert_eq!(
        parse_size("12XB").unwrap_err().to_string(),
        "\"12XB\": unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB or K/M/G/T"
    );
    assert!(parse_size("1.5M")
        .unwrap_err()
        .to_string()
        .contains("whole number"));
    assert!(parse_size("").unwrap_err().to_string().contains("8MiB"));
}

/// A unit from the table in any mix of cases.
fn unit_in_any_case() -> impl Strategy<Value = (String, u64)> {
    (0..UNITS.len(), any::<u64>()).prop_map(|(i, mask)| {
        let (name, factor) = UNITS[i];
        let cased: String = name
            .chars()
            .enumerate()
            .map(|(n, c)| {
                if mask >> n & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        (cased, factor)
    })
}

proptest! {
    #[test]
    fn number_and_unit_give_their_product(
        n in any::<u64>(),
        (unit, factor) in unit_in_any_case(),
        before in "[ \t]{0,2}",
        between in "[ \t]{0,2}",
        after in "[ \t\n]{0,2}",
    ) {
        let text = format!("{before}{n}{between}{unit}{after}");
        match n.checked_mul(factor) {
            Some(bytes) => prop_assert_eq!(parse_size(&text), Ok(bytes)),
            None => prop_assert_eq!(parse_size(&text), Err(SizeError::TooLarge { text })),
        }
    }

    #[test]
    fn a_bare_number_is_bytes(n in any::<u64>()) {
        prop_assert_eq!(parse_size(&n.to_string()), Ok(n));
    }

    #[test]
    fn leading_zeros_and_long_numbers_do_not_confuse_it(zeros in 0usize..30, n in any::<u32>()) {
        let text = format!("{}{n}MiB", "0".repeat(zeros));
        prop_assert_eq!(parse_size(&text), Ok(u64::from(n) * MIB));
    }

    #[test]
    fn a_word_that_is_not_a_unit_is_named_as_such(n in 0u64..1_000_000, word in "[a-zA-Z]{1,5}") {
        prop_assume!(!UNITS.iter().any(|(u, _)| u.eq_ignore_ascii_case(&word)));
        let text = format!("{n}{word}");
        prop_assert_eq!(parse_size(&text), Err(SizeError::UnknownUnit { text: text.clone() }));
    }

    #[test]
    fn any_text_is_answered_without_panic(text in "\\PC{0,24}") {
        if let Ok(bytes) = parse_size(&text) {
            // Whatever it accepts starts with a digit, and reads back the same.
            let trimmed = text.trim();
            prop_assert!(trimmed.starts_with(|c: char| c.is_ascii_digit()), "{text:?}");
            prop_assert_eq!(parse_size(&format!(" {trimmed} ")), Ok(bytes));
        }
    }
}
