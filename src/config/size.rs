//! Sizes written by people: `1048576`, `8MiB`, `16M`, `5mb`, `2 GiB`, every unit a power of 1024
//! (as the AWS CLI reads `multipart_chunksize`: `8MB` is 8 MiB). The one parser behind every setting
//! that takes a size (`--part-size`, `--chunk-size`, the profile's `multipart_chunksize`); it knows
//! nothing of which sizes a setting allows, so zero parses and each caller checks its own range.

/// Units, matched ignoring case, and their factors. `B` and no unit are bytes.
const UNITS: [(&str, u64); 13] = [
    ("b", 1),
    ("k", 1 << 10),
    ("kb", 1 << 10),
    ("kib", 1 << 10),
    ("m", 1 << 20),
    ("mb", 1 << 20),
    ("mib", 1 << 20),
    ("g", 1 << 30),
    ("gb", 1 << 30),
    ("gib", 1 << 30),
    ("t", 1 << 40),
    ("tb", 1 << 40),
    ("tib", 1 << 40),
];

/// Why a size could not be read. Each message quotes the text as given and says what to write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// Nothing but whitespace.
    #[error("no size given; write a number of bytes such as 1048576, or 8MiB, 16M")]
    Empty,
    /// The text does not start with a digit (`MB`, `-1`, `lots`).
    #[error("{text:?} is not a size; write a number of bytes such as 1048576, or 8MiB, 16M")]
    NotANumber {
        /// The text as given.
        text: String,
    },
    /// A fraction (`1.5M`): sizes are whole numbers.
    #[error("{text:?}: a size is a whole number; write 1536KiB rather than 1.5MiB")]
    NotWhole {
        /// The text as given.
        text: String,
    },
    /// A number followed by something that is not a unit (`12XB`, `8 parsecs`).
    #[error("{text:?}: unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB or K/M/G/T")]
    UnknownUnit {
        /// The text as given.
        text: String,
    },
    /// More bytes than a `u64` holds.
    #[error("{text:?} is too large")]
    TooLarge {
        /// The text as given.
        text: String,
    },
}

/// Reads a size in bytes: a whole number, optionally followed (with or without spaces) by a unit
/// from `B`, `K`, `KB`, `KiB`, `M`, `MB`, `MiB`, `G`, `GB`, `GiB`, `T`, `TB`, `TiB` in any case,
/// each a power of 1024. Whitespace around the text is ignored. `0` is a size; callers that need a
/// positive size or a range (S3 parts are 5 MiB to 5 GiB) check it themselves.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SizeError::Empty);
    }
    let owned = || text.to_owned();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, rest) = trimmed.split_at(split);
    if digits.is_empty() {
        return Err(SizeError::NotANumber { text: owned() });
    }
    if rest.starts_with(['.', ',']) {
        return Err(SizeError::NotWhole { text: owned() });
    }
    let unit = rest.trim_start().to_ascii_lowercase();
    let factor = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, factor)| *factor)
            .ok_or_else(|| SizeError::UnknownUnit { text: owned() })?
    };
    // The digits are all ASCII digits, so the only way parsing fails is overflow.
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| SizeError::TooLarge { text: owned() })
}
