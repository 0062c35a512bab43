//! The event-stream decoder (`s3op::eventstream`) against two oracles independent of it: an encoder
//! written here from the format's description (with its own bitwise CRC32), itself checked byte for
//! byte against AWS's vectors, and those vectors (tests/fixtures/eventstream/, from smithy-rs and
//! aws-c-event-stream; see the README there). S3 Select's events are built the way S3 frames them.

use proptest::prelude::*;
use s3op::eventstream::{
    decode_messages, select_events_to_json, Decoder, EventStreamError, HeaderValue, Message,
    MAX_HEADERS_LEN, MAX_PAYLOAD_LEN, MIN_MESSAGE_LEN,
};
use serde_json::json;

// ------------------------------------------------------------------------------------------------
// An encoder of our own
// ------------------------------------------------------------------------------------------------

/// CRC-32 (the gzip/zlib one: reflected polynomial 0xEDB88320), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn encode_header(out: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    out.push(u8::try_from(name.len()).expect("test header names are short"));
    out.extend_from_slice(name.as_bytes());
    let sized = |out: &mut Vec<u8>, ty: u8, bytes: &[u8]| {
        out.push(ty);
        out.extend_from_slice(&u16::try_from(bytes.len()).expect("short").to_be_bytes());
        out.extend_from_slice(bytes);
    };
    match value {
        HeaderValue::Bool(true) => out.push(0),
        HeaderValue::Bool(false) => out.push(1),
        HeaderValue::Byte(v) => {
            out.push(2);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int16(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int32(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int64(v) => {
            out.push(5);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Bytes(v) => sized(out, 6, v),
        HeaderValue::String(v) => sized(out, 7, v.as_bytes()),
        HeaderValue::Timestamp(v) => {
            out.push(8);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Uuid(v) => {
            out.push(9);
            out.extend_from_slice(v);
        }
    }
}

/// A message around an already-encoded headers section, both CRCs right.
fn encode_raw(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = u32::try_from(16 + headers.len() + payload.len()).expect("small");
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&u32::try_from(headers.len()).expect("small").to_be_bytes());
    let prelude_crc = crc32(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    let message_crc = crc32(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

fn encode(message: &Message) -> Vec<u8> {
    let mut headers = Vec::new();
    for (name, value) in &message.headers {
        encode_header(&mut headers, name, value);
    }
    encode_raw(&headers, &message.payload)
}

fn encode_all(messages: &[Message]) -> Vec<u8> {
    messages.iter().flat_map(encode).collect()
}

fn message(headers: &[(&str, HeaderValue)], payload: &[u8]) -> Message {
    Message {
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
        payload: bytes::Bytes::copy_from_slice(payload),
    }
}

fn string(value: &str) -> HeaderValue {
    HeaderValue::String(value.to_string())
}

/// An S3 Select event, with the headers S3 sends, in S3's order.
fn s3_event(event_type: &str, content_type: Option<&str>, payload: &[u8]) -> Message {
    let mut headers = vec![(":event-type", string(event_type))];
    if let Some(content_type) = content_type {
        headers.push((":content-type", string(content_type)));
    }
    headers.push((":message-type", string("event")));
    message(&headers, payload)
}

fn s3_error(code: &str, text: &str) -> Message {
    message(
        &[
            (":error-code", string(code)),
            (":error-message", string(text)),
            (":message-type", string("error")),
        ],
        b"",
    )
}

const STATS_XML: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Stats><BytesScanned>10</BytesScanned><BytesProcessed>10</BytesProcessed><BytesReturned>5</BytesReturned></Stats>";

/// Records + Stats + End, as S3 answers a small query.
fn select_messages() -> Vec<Message> {
    vec![
        s3_event("Records", Some("application/octet-stream"), b"a,1\nb,2\n"),
        s3_event("Stats", Some("text/xml"), STATS_XML),
        s3_event("End", None, b""),
    ]
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eventstream")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The same bytes with the message CRC recomputed over the first `total length` bytes.
fn reseal(bytes: &[u8]) -> Vec<u8> {
    let total = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    let mut out = bytes[..total - 4].to_vec();
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// Feeds `chunks` to a fresh decoder and finishes it.
fn decode_chunks<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Message>, EventStreamError> {
    let mut decoder = Decoder::new();
    let mut messages = Vec::new();
    for chunk in chunks {
        messages.extend(decoder.push(chunk)?);
    }
    decoder.finish()?;
    Ok(messages)
}

// ------------------------------------------------------------------------------------------------
// AWS's vectors
// ------------------------------------------------------------------------------------------------

#[test]
fn own_crc32_matches_aws_vectors() {
    let no_op = fixture("crt_no_op");
    assert_eq!(crc32(&no_op[..8]), 0x05C2_48EB);
    assert_eq!(crc32(&no_op[..12]), 0x7D98_C8FF);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926); // the CRC-32 check value
}

fn all_headers_message() -> Message {
    message(
        &[
            ("true", HeaderValue::Bool(true)),
            ("false", HeaderValue::Bool(false)),
            ("byte", HeaderValue::Byte(50)),
            ("short", HeaderValue::Int16(20_000)),
            ("int", HeaderValue::Int32(500_000)),
            ("long", HeaderValue::Int64(50_000_000_000)),
            ("bytes", HeaderValue::Bytes(b"some bytes".to_vec())),
            ("str", string("some str")),
            ("time", HeaderValue::Timestamp(5_000_000_000)),
            (
                "uuid",
                HeaderValue::Uuid(0xb79bc914_de21_4e13_b8b2_bc47e85b7f0b_u128.to_be_bytes()),
            ),
        ],
        b"some payload",
    )
}

/// Each valid vector with the message it holds.
fn valid_vectors() -> Vec<(&'static str, Message)> {
    vec![
        ("valid_with_all_headers_and_payload", all_headers_message()),
        ("valid_no_headers", message(&[], b"another test payload")),
        (
            "valid_empty_payload",
            message(&[("some-header", HeaderValue::Int16(500))], b""),
        ),
        ("crt_no_op", message(&[], b"")),
        (
            "crt_application_data_no_headers",
            message(&[], b"{'foo':'bar'}"),
        ),
        (
            "crt_one_header",
            message(
                &[("content-type", string("application/json"))],
                b"{'foo':'bar'}",
            ),
        ),
    ]
}

#[test]
fn aws_vectors_decode() {
    for (name, expected) in valid_vectors() {
        let bytes = fixture(name);
        assert_eq!(
            decode_messages(&bytes).unwrap(),
            vec![expected.clone()],
            "{name}"
        );
        // Our encoder writes the same bytes, so what it writes below is the real format.
        assert_eq!(encode(&expected), bytes, "{name}: encoder");
    }
    // All of them back to back, as one body.
    let body: Vec<u8> = valid_vectors()
        .iter()
        .flat_map(|(n, _)| fixture(n))
        .collect();
    let expected: Vec<Message> = valid_vectors().into_iter().map(|(_, m)| m).collect();
    assert_eq!(decode_messages(&body).unwrap(), expected);
}

#[test]
fn aws_invalid_vectors_are_rejected() {
    assert_eq!(
        decode_messages(&fixture("invalid_prelude_checksum")).unwrap_err(),
        EventStreamError::BadPreludeCrc {
            expected: 0xDEAD_BEEF,
            actual: 0x8BB4_95FB
        }
    );
    assert_eq!(
        decode_messages(&fixture("invalid_message_checksum")).unwrap_err(),
        EventStreamError::BadMessageCrc {
            expected: 0xDEAD_BEEF,
            actual: 0x01A0_5860
        }
    );
    assert_eq!(
        decode_messages(&fixture("invalid_headers_length")).unwrap_err(),
        EventStreamError::LengthsInconsistent {
            total_len: 89,
            headers_len: 77
        }
    );
    let header_cases = [
        "invalid_header_value_type",
        "invalid_header_string_value_length",
        "invalid_header_name_length",
        "invalid_header_name_length_too_long",
        "invalid_header_string_length_cut_off",
    ];
    // As shipped, their message CRC is stale: that is what a CRC-first decoder sees.
    for name in header_cases {
        let err = decode_messages(&fixture(name)).unwrap_err();
        assert!(
            matches!(err, EventStreamError::BadMessageCrc { .. }),
            "{name}: {err:?}"
        );
    }
    // Re-sealed with a right CRC, the header checks themselves must catch them.
    assert_eq!(
        decode_messages(&reseal(&fixture("invalid_header_value_type"))).unwrap_err(),
        EventStreamError::UnknownHeaderType {
            name: "byte".into(),
            value_type: 0x60
        }
    );
    for name in &header_cases[1..] {
        let err = decode_messages(&reseal(&fixture(name))).unwrap_err();
        assert!(
            matches!(err, EventStreamError::HeaderOutOfBounds { .. }),
            "{name}: {err:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// S3 Select
// ------------------------------------------------------------------------------------------------

#[test]
fn records_stats_end_stream_to_json() {
    let body = encode_all(&select_messages());
    let messages = decode_messages(&body).unwrap();
    assert_eq!(messages, select_messages());
    assert_eq!(
        select_events_to_json(&messages).unwrap(),
        json!({
            "Payload": [
                {"Records": {"Payload": "a,1\nb,2\n"}},
                {"Stats": {"Details": {"BytesScanned": 10, "BytesProcessed": 10, "BytesReturned": 5}}},
                {"End": {}}
            ],
            "Records": "a,1\nb,2\n"
        })
    );
}

#[test]
fn progress_cont_unknown_and_binary_events() {
    let messages = vec![
        s3_event(
            "Progress",
            Some("text/xml"),
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Progress>\n  <BytesScanned>512</BytesScanned>\n  <BytesProcessed>1024</BytesProcessed>\n  <BytesReturned>0</BytesReturned>\n</Progress>",
        ),
        s3_event("Cont", None, b""),
        s3_event("Records", Some("application/octet-stream"), b"\xff\x00"),
        s3_event("Sparkle", None, b"future"),
        s3_event("End", None, b""),
    ];
    let decoded = decode_messages(&encode_all(&messages)).unwrap();
    assert_eq!(
        select_events_to_json(&decoded).unwrap(),
        json!({
            "Payload": [
                {"Progress": {"Details": {"BytesScanned": 512, "BytesProcessed": 1024, "BytesReturned": 0}}},
                {"Cont": {}},
                {"Records": {"Payload": {"base64": "/wA="}}},
                {"Sparkle": {"Payload": "future"}},
                {"End": {}}
            ],
            "Records": {"base64": "/wA="}
        })
    );
}

#[test]
fn error_message_becomes_error_envelope() {
    let messages = vec![
        s3_event("Records", Some("application/octet-stream"), b"a,1\n"),
        s3_error(
            "CSVParsingError",
            "Encountered an error parsing the CSV file.",
        ),
    ];
    let decoded = decode_messages(&encode_all(&messages)).unwrap();
    let response = select_events_to_json(&decoded).unwrap();
    assert_eq!(response["Error"]["Code"], "CSVParsingError");
    assert_eq!(
        response,
        json!({
            "Error": {"Code": "CSVParsingError", "Message": "Encountered an error parsing the CSV file."},
            "Payload": [{"Records": {"Payload": "a,1\n"}}],
            "Records": "a,1\n"
        })
    );
}

#[test]
fn empty_body_is_no_events() {
    assert_eq!(decode_messages(b"").unwrap(), Vec::<Message>::new());
    assert_eq!(
        select_events_to_json(&[]).unwrap(),
        json!({"Payload": [], "Records": ""})
    );
}

// ------------------------------------------------------------------------------------------------
// Chunking, corruption, truncation
// ------------------------------------------------------------------------------------------------

/// The select stream plus a message with every header type: 4 messages, a few hundred bytes.
fn mixed_messages() -> Vec<Message> {
    let mut messages = select_messages();
    messages.insert(1, all_headers_message());
    messages
}

#[test]
fn every_split_gives_the_same_messages() {
    let messages = mixed_messages();
    let body = encode_all(&messages);
    // Every pair of cut points: three chunks, any of them possibly empty.
    for i in 0..=body.len() {
        for j in i..=body.len() {
            let chunks = [&body[..i], &body[i..j], &body[j..]];
            assert_eq!(
                decode_chunks(chunks).unwrap(),
                messages,
                "split at {i} and {j}"
            );
        }
    }
    // One byte at a time: each message comes out with its last byte, not before.
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let ends: Vec<usize> = messages
        .iter()
        .scan(0, |end, m| {
            *end += encode(m).len();
            Some(*end)
        })
        .collect();
    for (n, byte) in body.iter().enumerate() {
        let got = decoder.push(std::slice::from_ref(byte)).unwrap();
        assert_eq!(got.len(), usize::from(ends.contains(&(n + 1))), "byte {n}");
        out.extend(got);
    }
    decoder.finish().unwrap();
    assert_eq!(out, messages);
}

#[test]
fn flipped_bits_are_rejected_with_the_right_error() {
    let one = encode(&s3_event(
        "Records",
        Some("application/octet-stream"),
        b"abc",
    ));
    let len = one.len();

    // Prelude CRC (bytes 8..12).
    let mut bad = one.clone();
    bad[9] ^= 0x10;
    let right = u32::from_be_bytes(one[8..12].try_into().unwrap());
    assert_eq!(
        decode_messages(&bad).unwrap_err(),
        EventStreamError::BadPreludeCrc {
            expected: right ^ 0x0010_0000,
            actual: right
        }
    );
    // Message CRC (last 4 bytes).
    let mut bad = one.clone();
    bad[len - 1] ^= 0x01;
    let right = u32::from_be_bytes(one[len - 4..].try_into().unwrap());
    assert_eq!(
        decode_messages(&bad).unwrap_err(),
        EventStreamError::BadMessageCrc {
            expected: right ^ 1,
            actual: right
        }
    );
    // Payload (just before the message CRC).
    let mut bad = one.clone();
    bad[len - 5] ^= 0x40;
    assert!(matches!(
        decode_messages(&bad).unwrap_err(),
        EventStreamError::BadMessageCrc { expected, .. } if expected == right
    ));

    // Every single bit of a whole stream: a flip in a message's first 12 bytes breaks its prelude
    // CRC, anywhere else its message CRC. Never accepted, never a panic.
    let messages = mixed_messages();
    let body = encode_all(&messages);
    let mut starts = Vec::new();
    let mut start = 0;
    for m in &messages {
        starts.push(start);
        start += encode(m).len();
    }
    for byte in 0..body.len() {
        let message_start = *starts.iter().rev().find(|&&s| s <= byte).unwrap();
        let in_prelude = byte - message_start < 12;
        for bit in 0..8 {
            let mut bad = body.clone();
            bad[byte] ^= 1 << bit;
            let err = decode_messages(&bad).unwrap_err();
            if in_prelude {
                assert!(
                    matches!(err, EventStreamError::BadPreludeCrc { .. }),
                    "byte {byte} bit {bit}: {err:?}"
                );
            } else {
                assert!(
                    matches!(err, EventStreamError::BadMessageCrc { .. }),
                    "byte {byte} bit {bit}: {err:?}"
                );
            }
            assert_eq!(
                decode_chunks([&bad[..byte], &bad[byte..]]).unwrap_err(),
                err
            );
        }
    }
}

#[test]
fn truncation_anywhere_is_an_error_not_a_panic() {
    let messages = mixed_messages();
    let body = encode_all(&messages);
    let lens: Vec<usize> = messages.iter().map(|m| encode(m).len()).collect();
    for cut in 0..body.len() {
        // Which message the cut falls in, and how far into it.
        let mut start = 0;
        let mut complete = 0;
        for len in &lens {
            if start + len > cut {
                break;
            }
            start += len;
            complete += 1;
        }
        let into = cut - start;
        let result = decode_messages(&body[..cut]);
        if into == 0 {
            assert_eq!(result.unwrap(), messages[..complete], "cut at {cut}");
        } else {
            let expected = if into < 12 {
                MIN_MESSAGE_LEN
            } else {
                lens[complete]
            };
            assert_eq!(
                result.unwrap_err(),
                EventStreamError::Truncated {
                    expected,
                    available: into
                },
                "cut at {cut}"
            );
            let mut decoder = Decoder::new();
            assert_eq!(decoder.push(&body[..cut]).unwrap(), messages[..complete]);
            assert_eq!(decoder.buffered(), into);
            assert!(matches!(
                decoder.finish(),
                Err(EventStreamError::Truncated { .. })
            ));
        }
    }
}

#[test]
fn oversized_lengths_are_refused_from_the_prelude() {
    let prelude = |total: u32, headers: u32| {
        let mut bytes = total.to_be_bytes().to_vec();
        bytes.extend_from_slice(&headers.to_be_bytes());
        let crc = crc32(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        bytes
    };
    let payload_over = (MIN_MESSAGE_LEN + MAX_PAYLOAD_LEN + 1) as u32;
    let mut decoder = Decoder::new();
    assert_eq!(
        decoder.push(&prelude(payload_over, 0)).unwrap_err(),
        EventStreamError::MessageTooLarge {
            section: "payload",
            length: MAX_PAYLOAD_LEN + 1,
            max: MAX_PAYLOAD_LEN
        }
    );
    // Once failed, always failed.
    assert!(decoder.push(&fixture("crt_no_op")).is_err());
    assert!(decoder.finish().is_err());

    let headers_over = (MAX_HEADERS_LEN + 1) as u32;
    assert_eq!(
        decode_messages(&prelude(headers_over + 16, headers_over)).unwrap_err(),
        EventStreamError::MessageTooLarge {
            section: "headers",
            length: MAX_HEADERS_LEN + 1,
            max: MAX_HEADERS_LEN
        }
    );
    // The largest lengths the format can carry do not overflow anything.
    assert!(matches!(
        decode_messages(&prelude(u32::MAX, u32::MAX)).unwrap_err(),
        EventStreamError::LengthsInconsistent { .. }
    ));
    assert!(matches!(
        decode_messages(&prelude(u32::MAX, 0)).unwrap_err(),
        EventStreamError::MessageTooLarge { .. }
    ));
    // A message exactly at the payload limit is accepted.
    let big = message(&[], &vec![b'x'; MAX_PAYLOAD_LEN]);
    assert_eq!(decode_messages(&encode(&big)).unwrap(), vec![big]);
}

// ------------------------------------------------------------------------------------------------
// Exact errors and edge cases
// ------------------------------------------------------------------------------------------------

#[test]
fn header_errors_name_the_header_and_where_it_overran() {
    // `a`, type 7 (string), a length of 9 with 3 bytes left: the value would end at offset 5 + 9.
    assert_eq!(
        decode_messages(&encode_raw(b"\x01a\x07\x00\x09abc", b"")).unwrap_err(),
        EventStreamError::HeaderOutOfBounds {
            offset: 5,
            needed: 9,
            headers_len: 8
        }
    );
    // A name with no type byte after it.
    assert!(matches!(
        decode_messages(&encode_raw(b"\x02ab", b"")).unwrap_err(),
        EventStreamError::HeaderOutOfBounds { .. }
    ));
    // Type 10 does not exist (0 to 9 do).
    assert_eq!(
        decode_messages(&encode_raw(b"\x01a\x0a", b"")).unwrap_err(),
        EventStreamError::UnknownHeaderType {
            name: "a".into(),
            value_type: 10
        }
    );
    // A name that is not UTF-8, then a string value that is not.
    assert!(matches!(
        decode_messages(&encode_raw(b"\x01\xff\x00", b"")).unwrap_err(),
        EventStreamError::HeaderNotUtf8 { .. }
    ));
    assert_eq!(
        decode_messages(&encode_raw(b"\x01a\x07\x00\x01\xff", b"")).unwrap_err(),
        EventStreamError::HeaderNotUtf8 { name: "a".into() }
    );
}

#[test]
fn records_split_inside_a_character_join_into_text() {
    // "é" split across two Records events: each half alone is base64, the whole is text.
    let messages = [
        s3_event("Records", None, b"\xc3"),
        s3_event("Records", None, b"\xa9"),
        s3_event("Shiny", None, b"new"),
        s3_event("Stats", None, b"not xml <"),
    ];
    let decoded = decode_messages(&encode_all(&messages)).unwrap();
    assert_eq!(
        select_events_to_json(&decoded).unwrap(),
        json!({
            "Payload": [
                {"Records": {"Payload": {"base64": "ww=="}}},
                {"Records": {"Payload": {"base64": "qQ=="}}},
                {"Shiny": {"Payload": "new"}},
                {"Stats": {"Payload": "not xml <"}}
            ],
            "Records": "é"
        })
    );
}

#[test]
fn an_event_without_a_type_is_an_error() {
    assert_eq!(
        select_events_to_json(&[message(&[], b"")]).unwrap_err(),
        EventStreamError::MissingHeader {
            name: ":event-type"
        }
    );
}

#[test]
fn stats_details_only_from_one_well_formed_document() {
    let stats = |payload: &[u8]| {
        let response = select_events_to_json(&[s3_event("Stats", None, payload)]).unwrap();
        response["Payload"][0]["Stats"].clone()
    };
    assert_eq!(stats(b"<Stats/>"), json!({"Details": {}}));
    assert_eq!(
        stats(b"<Stats><X>a&amp;b</X><Y/><N> 12 </N></Stats>"),
        json!({"Details": {"X": "a&b", "Y": "", "N": 12}})
    );
    // Not one document: carried as the payload.
    for payload in [&b""[..], b"<A/><B/>", b"<A><B>1</A>", b"text<A/>"] {
        let text = std::str::from_utf8(payload).unwrap();
        assert_eq!(stats(payload), json!({"Payload": text}), "{text}");
    }
}

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        any::<bool>().prop_map(HeaderValue::Bool),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Int16),
        any::<i32>().prop_map(HeaderValue::Int32),
        any::<i64>().prop_map(HeaderValue::Int64),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(HeaderValue::Bytes),
        "\\PC{0,20}".prop_map(HeaderValue::String),
        any::<i64>().prop_map(HeaderValue::Timestamp),
        any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
    ]
}

fn any_message() -> impl Strategy<Value = Message> {
    (
        proptest::collection::vec(("\\PC{0,12}", header_value()), 0..6),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(headers, payload)| Message {
            headers,
            payload: payload.into(),
        })
}

/// Headers sections that are valid, or nearly: well-formed headers of every type, then maybe one byte
/// changed (a length, a type, a UTF-8 byte...), so the header parser is driven through every branch.
fn header_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(("\\PC{0,6}", header_value()), 0..5),
        proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(headers, edit)| {
            let mut bytes = Vec::new();
            for (name, value) in &headers {
                encode_header(&mut bytes, name, value);
            }
            if let Some((at, byte)) = edit {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
            }
            bytes
        })
}

/// Cuts `body` into chunks of the given sizes (cycled), the last one whatever is left.
fn chunked<'a>(body: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = body;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_inverts_encode(
        messages in proptest::collection::vec(any_message(), 0..5),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let body = encode_all(&messages);
        prop_assert_eq!(&decode_messages(&body).unwrap(), &messages);
        prop_assert_eq!(&decode_chunks(chunked(&body, &sizes)).unwrap(), &messages);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let whole = decode_messages(&bytes);
        let pieces = decode_chunks(chunked(&bytes, &sizes));
        prop_assert_eq!(whole, pieces);
    }

    /// Random header bytes inside a frame whose CRCs are right reach the header parser: it may refuse
    /// them, never panic, and whatever it accepts re-encodes to the very same bytes.
    #[test]
    fn sealed_random_headers_never_panic(
        headers in prop_oneof![proptest::collection::vec(any::<u8>(), 0..128), header_like_bytes()],
        payload in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let frame = encode_raw(&headers, &payload);
        if let Ok(messages) = decode_messages(&frame) {
            prop_assert_eq!(messages.len(), 1);
            prop_assert_eq!(encode(&messages[0]), frame);
        }
    }

    /// Valid streams with a few bytes overwritten, removed or inserted: errors, never panics.
    #[test]
    fn mutated_streams_never_panic(
        messages in proptest::collection::vec(any_message(), 1..4),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut body = encode_all(&messages);
        for (at, byte, kind) in edits {
            let i = at.index(body.len().max(1)).min(body.len());
            match kind {
                0 if i < body.len() => body[i] ^= byte | 1,
                1 if i < body.len() => { body.remove(i); }
                _ => body.insert(i, byte),
            }
        }
        let _ = decode_messages(&body);
        let _ = select_events_to_json(&decode_messages(&body).unwrap_or_default());
    }
}
