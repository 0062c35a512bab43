//! The checksum core (`s3op::checksum`): known values of every algorithm (the standard check value
//! of "123456789", botocore's header for "hi\n", the empty string's SHA digests), CRCs of pieces
//! combined into the CRC of the whole for any split (property test, every CRC), and S3's
//! composite checksum of a multipart object, recomputed here from its definition.

use base64::Engine;
use proptest::prelude::*;
use s3op::checksum::{combine, composite, of_body, Algorithm, Hasher};
use s3op::client::prepare::PreparedBody;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn of(algorithm: Algorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    h.finish()
}

#[test]
fn known_values() {
    let body = |data: &[u8]| PreparedBody::Bytes(bytes::Bytes::copy_from_slice(data));
    // botocore sends x-amz-checksum-crc32: 7W96eg== for the body "hi\n".
    assert_eq!(
        of_body("CRC32", &body(b"hi\n")).ok().as_deref(),
        Some("7W96eg==")
    );
    assert_eq!(
        of(Algorithm::Crc32, b"123456789"),
        b64(&0xCBF4_3926u32.to_be_bytes())
    );
    assert_eq!(
        of(Algorithm::Crc32c, b"123456789"),
        b64(&0xE306_9283u32.to_be_bytes())
    );
    assert_eq!(
        of(Algorithm::Crc64Nvme, b"123456789"),
        b64(&0xAE8B_1486_0A79_9888u64.to_be_bytes())
    );
    assert_eq!(
        of(Algorithm::Sha256, b""),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert_eq!(of(Algorithm::Sha1, b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    assert_eq!(
        of_body("md5", &body(b"")).ok().as_deref(),
        Some("1B2M2Y8AsgTpgAmY7PhCfg==")
    );
    assert!(of_body("XXHASH3", &PreparedBody::Empty).is_err());
}

#[test]
fn names_headers_and_members() {
    for algorithm in Algorithm::ALL {
        assert_eq!(
            Algorithm::parse(&algorithm.name().to_ascii_lowercase()),
            Some(algorithm)
        );
        assert!(algorithm.fits(&of(algorithm, b"x")), "{algorithm}");
    }
    assert_eq!(Algorithm::Crc64Nvme.header(), "x-amz-checksum-crc64nvme");
    assert_eq!(Algorithm::Crc32c.member(), "ChecksumCRC32C");
    assert!(
        !Algorithm::Crc64Nvme.fits("H3JzKQ=="),
        "4 bytes are no CRC64"
    );
    assert_eq!(Algorithm::parse("md5"), None);
}

#[test]
fn combining_needs_crcs_and_well_formed_values() {
    let a = of(Algorithm::Sha256, b"a");
    assert_eq!(combine(Algorithm::Sha256, &a, &a, 1), None);
    assert_eq!(
        combine(Algorithm::Crc32, "not base64!", "AAAAAA==", 1),
        None
    );
    assert_eq!(
        combine(Algorithm::Crc64Nvme, "AAAAAA==", "AAAAAA==", 1),
        None
    );
    // Nothing after: the CRC of the first piece.
    for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
        let x = of(algorithm, b"abc");
        assert_eq!(combine(algorithm, &x, &of(algorithm, b""), 0), Some(x));
    }
}

proptest! {
    #[test]
    fn crcs_of_pieces_combine_into_the_crc_of_the_whole(
        data in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let mut whole = of(algorithm, &data[..points[1]]);
            for pair in points[1..].windows(2) {
                let piece = &data[pair[0]..pair[1]];
                whole = combine(algorithm, &whole, &of(algorithm, piece), piece.len() as u64)
                    .expect("CRCs combine");
            }
            prop_assert_eq!(&whole, &of(algorithm, &data), "{}", algorithm);
        }
    }
}

#[test]
fn composite_is_the_checksum_of_the_part_checksums() {
    let parts = [b"first part".as_slice(), b"second", b"3"];
    for algorithm in Algorithm::ALL {
        let values: Vec<String> = parts.iter().map(|p| of(algorithm, p)).collect();
        let mut raw = Vec::new();
        for v in &values {
            raw.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .expect("base64"),
            );
        }
        assert_eq!(
            composite(algorithm, &values),
            Some(format!("{}-3", of(algorithm, &raw))),
            "{algorithm}"
        );
    }
    assert_eq!(composite(Algorithm::Crc32, &["AA==".to_string()]), None);
}
