//! Sizes written by people: `1048576`, `8MiB`, `16M`, `5MB`, every unit a power of 1024. The one
//! parser behind every setting that takes a size; it knows nothing of which sizes a setting allows.

/// A size as the AWS CLI's `multipart_chunksize` takes it: bytes, or a number with `KB`, `MB`,
/// `GB`, `TB` (or `KiB`... `TiB`), all powers of 1024.
/// A size in bytes, with an optional unit: `1048576`, `8MiB`, `16M`, `5MB`, `1g`. Every unit is a
/// power of 1024, as the AWS CLI reads `multipart_chunksize` (`8MB` is 8 MiB).
pub fn parse_size(value: &str) -> Option<u64> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let units: [(&str, u64); 13] = [
        ("kib", 1 << 10),
        ("mib", 1 << 20),
        ("gib", 1 << 30),
        ("tib", 1 << 40),
        ("kb", 1 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("tb", 1 << 40),
        ("k", 1 << 10),
        ("m", 1 << 20),
        ("g", 1 << 30),
        ("t", 1 << 40),
        ("b", 1),
    ];
    let (number, factor) = units
        .iter()
        .find_map(|(suffix, factor)| lower.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((lower.as_str(), 1));
    let number = number.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(factor)
        .filter(|n| *n > 0)
}
