//! AWS event streams (`application/vnd.amazon.eventstream`), the body of SelectObjectContent's answer.
//! This module owns two things: decoding the binary framing into [`Message`]s, checking both CRCs of
//! every message, either from a whole body ([`decode_messages`]) or chunk by chunk as it arrives
//! ([`Decoder`]); and turning S3 Select's events into the JSON of the envelope's `response`
//! ([`select_events_to_json`]). It knows nothing of HTTP: fetching the body, status codes and response
//! headers are the caller's business.
//!
//! The framing, as AWS documents it and as botocore's `eventstream.py`, aws-smithy-eventstream and
//! aws-c-event-stream implement it: a 12-byte prelude (total length, headers length, both `u32` big
//! endian, then the CRC32 of those 8 bytes), the headers, the payload, and the CRC32 of everything
//! before it. CRC32 is the gzip/zlib one. A header is a name (`u8` length, UTF-8 bytes), a type byte
//! and a value whose form the type decides (see [`HeaderValue`]).

use base64::Engine;
use bytes::{Bytes, BytesMut};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

/// Bytes of the prelude: total length, headers length, prelude CRC.
const PRELUDE_LEN: usize = 12;
/// Bytes of the CRC that closes every message.
const MESSAGE_CRC_LEN: usize = 4;
/// The smallest message there is: a prelude and a message CRC, with no headers and no payload.
pub const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + MESSAGE_CRC_LEN;
/// The largest headers section accepted. Same limit as botocore (128 KiB); S3 sends a few dozen bytes.
pub const MAX_HEADERS_LEN: usize = 128 * 1024;
/// The largest payload accepted. Same limit as botocore (16 MiB). It is checked from the prelude, before
/// the payload arrives, so a corrupt or hostile length cannot make the [`Decoder`] buffer without bound.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;

// Header value types, as numbered on the wire.
const TYPE_TRUE: u8 = 0;
const TYPE_FALSE: u8 = 1;
const TYPE_BYTE: u8 = 2;
const TYPE_INT16: u8 = 3;
const TYPE_INT32: u8 = 4;
const TYPE_INT64: u8 = 5;
const TYPE_BYTE_ARRAY: u8 = 6;
const TYPE_STRING: u8 = 7;
const TYPE_TIMESTAMP: u8 = 8;
const TYPE_UUID: u8 = 9;

/// One decoded event-stream message: its headers in wire order and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The headers, in the order they were sent. A name sent twice is kept twice; lookups such as
    /// [`Message::header`] see the first.
    pub headers: Vec<(String, HeaderValue)>,
    /// The payload, uninterpreted: what it holds is for the event's type to say.
    pub payload: Bytes,
}

impl Message {
    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    /// The value of the first header called `name`, when it is a string (as all of S3's are).
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }
}

/// A header's value, one variant per wire type (the type byte is in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// `[0]` true or `[1]` false; no value bytes follow the type.
    Bool(bool),
    /// `[2]` one signed byte.
    Byte(i8),
    /// `[3]` big-endian `i16`.
    Int16(i16),
    /// `[4]` big-endian `i32`.
    Int32(i32),
    /// `[5]` big-endian `i64`.
    Int64(i64),
    /// `[6]` a `u16` big-endian length, then that many bytes.
    Bytes(Vec<u8>),
    /// `[7]` a `u16` big-endian length, then that many bytes of UTF-8. The only type S3 sends.
    String(String),
    /// `[8]` milliseconds since the Unix epoch, big-endian `i64`.
    Timestamp(i64),
    /// `[9]` 16 bytes.
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The text of a string header.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a body is not a well-formed event stream. Every variant means the stream cannot be trusted
/// from that point on: there is no resynchronising after a framing error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventStreamError {
    /// The body ended inside a message. `expected` is the message's total length, or
    /// [`MIN_MESSAGE_LEN`] while not even its prelude has arrived; `available` is what is left.
    #[error(
        "event stream truncated: a message needs {expected} bytes but only {available} remain"
    )]
    Truncated { expected: usize, available: usize },
    /// The prelude's CRC does not match its lengths: `expected` is the CRC the message carries,
    /// `actual` the one computed from the bytes received.
    #[error(
        "event stream prelude CRC mismatch: message says {expected:#010x}, bytes give {actual:#010x}"
    )]
    BadPreludeCrc { expected: u32, actual: u32 },
    /// The message's CRC does not match its bytes (headers or payload damaged): `expected` is the CRC
    /// the message carries, `actual` the one computed from the bytes received.
    #[error(
        "event stream message CRC mismatch: message says {expected:#010x}, bytes give {actual:#010x}"
    )]
    BadMessageCrc { expected: u32, actual: u32 },
    /// A header's name or value runs past the end of the headers section.
    #[error(
        "event stream header data at byte {offset} ({needed} bytes) runs past the end of the \
         {headers_len}-byte headers section"
    )]
    HeaderOutOfBounds {
        offset: usize,
        needed: usize,
        headers_len: usize,
    },
    /// A header's type byte is none of the ten the format defines.
    #[error("event stream header {name:?} has unknown value type {value_type}")]
    UnknownHeaderType { name: String, value_type: u8 },
    /// A header's name, or the value of a string header, is not UTF-8. `name` is decoded lossily.
    #[error("event stream header {name:?}: name or string value is not UTF-8")]
    HeaderNotUtf8 { name: String },
    /// The prelude's lengths contradict each other: a message is at least 16 bytes plus its headers.
    #[error(
        "event stream lengths inconsistent: total length {total_len} is less than 16 + headers \
         length {headers_len}"
    )]
    LengthsInconsistent { total_len: u32, headers_len: u32 },
    /// The prelude announces a headers section or payload over [`MAX_HEADERS_LEN`] or
    /// [`MAX_PAYLOAD_LEN`].
    #[error("event stream message {section} of {length} bytes is over the limit of {max}")]
    MessageTooLarge {
        section: &'static str,
        length: usize,
        max: usize,
    },
    /// An event message lacks a header that S3 Select always sends (`:event-type`).
    #[error("event stream message has no {name} header")]
    MissingHeader { name: &'static str },
}

/// Decodes a whole body into its messages. Bytes left after the last complete message (a body cut
/// short) are a [`EventStreamError::Truncated`] error; an empty body is no messages.
pub fn decode_messages(bytes: &[u8]) -> Result<Vec<Message>, EventStreamError> {
    let mut decoder = Decoder::new();
    let messages = decoder.push(bytes)?;
    decoder.finish()?;
    Ok(messages)
}

/// An incremental decoder: feed it the body in chunks as they arrive, split anywhere, and it hands
/// back each message once all its bytes are in. Each message is checked (both CRCs, the headers) as
/// it completes; the prelude is checked as soon as its 12 bytes are in, so a bad length is refused
/// before anything is buffered for it.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: BytesMut,
    /// The first error met; the stream is unusable after it, and every later call reports it again.
    failed: Option<EventStreamError>,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `chunk` to what is buffered and returns the messages it completes, in order (none when
    /// the chunk only extends a message still incomplete). On an error, the messages completed
    /// earlier in the same chunk are not returned: the stream is corrupt and must be abandoned.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Message>, EventStreamError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.buffer.extend_from_slice(chunk);
        let mut messages = Vec::new();
        loop {
            match self.next_message() {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => return Ok(messages),
                Err(error) => {
                    self.failed = Some(error.clone());
                    return Err(error);
                }
            }
        }
    }

    /// How many bytes of an incomplete message are buffered.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Ends the stream: an error if it failed earlier or if it ends inside a message.
    pub fn finish(self) -> Result<(), EventStreamError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        let expected = match read_prelude(&self.buffer) {
            Ok(Some(prelude)) => prelude.total_len,
            // An incomplete prelude (a bad one was reported by `push` already).
            _ => MIN_MESSAGE_LEN,
        };
        Err(EventStreamError::Truncated {
            expected,
            available: self.buffer.len(),
        })
    }

    /// Takes one complete message off the front of the buffer, if there is one.
    fn next_message(&mut self) -> Result<Option<Message>, EventStreamError> {
        let Some(prelude) = read_prelude(&self.buffer)? else {
            return Ok(None);
        };
        if self.buffer.len() < prelude.total_len {
            return Ok(None);
        }
        let frame = self.buffer.split_to(prelude.total_len).freeze();
        let (headers, payload) = decode_frame(&frame, prelude.headers_len)?;
        let payload = frame.slice_ref(payload);
        Ok(Some(Message { headers, payload }))
    }
}

/// The two lengths of a prelude that passed its CRC and the size checks.
#[derive(Debug, Clone, Copy)]
struct Prelude {
    total_len: usize,
    headers_len: usize,
}

/// Reads and checks the prelude at the start of `buffer`; `None` until its 12 bytes are there.
fn read_prelude(buffer: &[u8]) -> Result<Option<Prelude>, EventStreamError> {
    let Some(prelude) = buffer.first_chunk::<PRELUDE_LEN>() else {
        return Ok(None);
    };
    let [t0, t1, t2, t3, h0, h1, h2, h3, c0, c1, c2, c3] = *prelude;
    let expected = u32::from_be_bytes([c0, c1, c2, c3]);
    let actual = crc32fast::hash(&[t0, t1, t2, t3, h0, h1, h2, h3]);
    if expected != actual {
        return Err(EventStreamError::BadPreludeCrc { expected, actual });
    }
    let total_len = u32::from_be_bytes([t0, t1, t2, t3]);
    let headers_len = u32::from_be_bytes([h0, h1, h2, h3]);
    // u64: 16 + headers_len cannot overflow there.
    let payload_len = u64::from(total_len)
        .checked_sub(MIN_MESSAGE_LEN as u64 + u64::from(headers_len))
        .ok_or(EventStreamError::LengthsInconsistent {
            total_len,
            headers_len,
        })?;
    if u64::from(headers_len) > MAX_HEADERS_LEN as u64 {
        return Err(EventStreamError::MessageTooLarge {
            section: "headers",
            length: headers_len as usize,
            max: MAX_HEADERS_LEN,
        });
    }
    if payload_len > MAX_PAYLOAD_LEN as u64 {
        return Err(EventStreamError::MessageTooLarge {
            section: "payload",
            length: payload_len as usize,
            max: MAX_PAYLOAD_LEN,
        });
    }
    // Both fit in usize now: the limits above are far below u32::MAX.
    Ok(Some(Prelude {
        total_len: total_len as usize,
        headers_len: headers_len as usize,
    }))
}

/// A message's headers, in wire order.
type Headers = Vec<(String, HeaderValue)>;

/// Checks the message CRC of one whole message (`frame` is exactly its total length, its prelude
/// already checked) and splits it into headers and payload.
fn decode_frame(frame: &[u8], headers_len: usize) -> Result<(Headers, &[u8]), EventStreamError> {
    let available = frame.len();
    let truncated = EventStreamError::Truncated {
        expected: PRELUDE_LEN + headers_len + MESSAGE_CRC_LEN,
        available,
    };
    let Some((covered, crc)) = frame.split_last_chunk::<MESSAGE_CRC_LEN>() else {
        return Err(truncated);
    };
    let expected = u32::from_be_bytes(*crc);
    let actual = crc32fast::hash(covered);
    if expected != actual {
        return Err(EventStreamError::BadMessageCrc { expected, actual });
    }
    let Some((headers, payload)) = covered
        .get(PRELUDE_LEN..)
        .and_then(|data| data.split_at_checked(headers_len))
    else {
        return Err(truncated);
    };
    Ok((decode_headers(headers)?, payload))
}

/// Decodes a headers section, which holds whole headers and nothing else.
fn decode_headers(section: &[u8]) -> Result<Headers, EventStreamError> {
    let mut cursor = Cursor {
        bytes: section,
        pos: 0,
    };
    let mut headers = Vec::new();
    while cursor.pos < section.len() {
        let [name_len] = cursor.array::<1>()?;
        let raw_name = cursor.take(usize::from(name_len))?;
        let Ok(name) = std::str::from_utf8(raw_name) else {
            return Err(EventStreamError::HeaderNotUtf8 {
                name: String::from_utf8_lossy(raw_name).into_owned(),
            });
        };
        let [value_type] = cursor.array::<1>()?;
        let value = match value_type {
            TYPE_TRUE => HeaderValue::Bool(true),
            TYPE_FALSE => HeaderValue::Bool(false),
            TYPE_BYTE => HeaderValue::Byte(i8::from_be_bytes(cursor.array()?)),
            TYPE_INT16 => HeaderValue::Int16(i16::from_be_bytes(cursor.array()?)),
            TYPE_INT32 => HeaderValue::Int32(i32::from_be_bytes(cursor.array()?)),
            TYPE_INT64 => HeaderValue::Int64(i64::from_be_bytes(cursor.array()?)),
            TYPE_BYTE_ARRAY => HeaderValue::Bytes(cursor.sized()?.to_vec()),
            TYPE_STRING => match std::str::from_utf8(cursor.sized()?) {
                Ok(text) => HeaderValue::String(text.to_owned()),
                Err(_) => {
                    return Err(EventStreamError::HeaderNotUtf8 {
                        name: name.to_owned(),
                    })
                }
            },
            TYPE_TIMESTAMP => HeaderValue::Timestamp(i64::from_be_bytes(cursor.array()?)),
            TYPE_UUID => HeaderValue::Uuid(cursor.array()?),
            _ => {
                return Err(EventStreamError::UnknownHeaderType {
                    name: name.to_owned(),
                    value_type,
                })
            }
        };
        headers.push((name.to_owned(), value));
    }
    Ok(headers)
}

/// Reads a headers section front to back; every read is bounds-checked against the section.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EventStreamError> {
        let taken = self
            .pos
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.pos..end));
        match taken {
            Some(taken) => {
                self.pos += n;
                Ok(taken)
            }
            None => Err(EventStreamError::HeaderOutOfBounds {
                offset: self.pos,
                needed: n,
                headers_len: self.bytes.len(),
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EventStreamError> {
        let offset = self.pos;
        let bytes = self.take(N)?;
        bytes
            .first_chunk::<N>()
            .copied()
            .ok_or(EventStreamError::HeaderOutOfBounds {
                offset,
                needed: N,
                headers_len: self.bytes.len(),
            })
    }

    /// A value preceded by its `u16` big-endian length.
    fn sized(&mut self) -> Result<&'a [u8], EventStreamError> {
        let len = u16::from_be_bytes(self.array()?);
        self.take(usize::from(len))
    }
}

// ------------------------------------------------------------------------------------------------
// S3 Select's events → JSON
// ------------------------------------------------------------------------------------------------

/// Turns SelectObjectContent's messages into the envelope's `response`, in the S3 API's member names:
///
/// ```json
/// {"Payload": [{"Records": {"Payload": "a,b\n"}},
///              {"Stats": {"Details": {"BytesScanned": 10, "BytesProcessed": 10, "BytesReturned": 4}}},
///              {"End": {}}],
///  "Records": "a,b\n"}
/// ```
///
/// - `Records` events carry the query's output bytes: as a string when UTF-8, else `{"base64": …}`.
///   S3 may split a record (even a UTF-8 character) across events, so the top-level `Records`, every
///   Records payload concatenated, is the one to read; it is checked for UTF-8 as a whole.
/// - `Stats` and `Progress` carry a small XML document whose elements become `Details`, integers as
///   JSON numbers. A payload that is not such XML is kept as `{"Payload": …}`.
/// - `Cont` and `End` are `{}`. An event of any other type is kept as `{"<type>": {"Payload": …}}`.
/// - A message whose `:message-type` is `error` ends the conversion with
///   `{"Error": {"Code": …, "Message": …}, "Payload": [the events before it], "Records": …}` (from the
///   `:error-code` and `:error-message` headers), the shape of every S3 error envelope, so the caller
///   reads `response.Error.Code`. An `exception` message is treated alike, its code from
///   `:exception-type` and its message the payload.
///
/// Fails only on an event without an `:event-type` header.
pub fn select_events_to_json(messages: &[Message]) -> Result<Value, EventStreamError> {
    let mut events = Vec::new();
    let mut records = Vec::new();
    for message in messages {
        let error = match message.header_str(":message-type") {
            Some("error") => Some((
                message.header_str(":error-code").unwrap_or_default(),
                message
                    .header_str(":error-message")
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Some("exception") => Some((
                message.header_str(":exception-type").unwrap_or_default(),
                String::from_utf8_lossy(&message.payload).into_owned(),
            )),
            _ => None,
        };
        if let Some((code, text)) = error {
            let mut response = Map::new();
            let mut error = Map::new();
            error.insert("Code".into(), Value::String(code.to_owned()));
            error.insert("Message".into(), Value::String(text));
            response.insert("Error".into(), Value::Object(error));
            response.insert("Payload".into(), Value::Array(events));
            response.insert("Records".into(), blob_json(&records));
            return Ok(Value::Object(response));
        }
        let Some(event_type) = message.header_str(":event-type") else {
            return Err(EventStreamError::MissingHeader {
                name: ":event-type",
            });
        };
        let mut event = Map::new();
        match event_type {
            "Records" => {
                records.extend_from_slice(&message.payload);
                event.insert("Payload".into(), blob_json(&message.payload));
            }
            "Stats" | "Progress" => match details_json(&message.payload) {
                Some(details) => {
                    event.insert("Details".into(), details);
                }
                None => {
                    event.insert("Payload".into(), blob_json(&message.payload));
                }
            },
            "Cont" | "End" => {}
            _ => {
                event.insert("Payload".into(), blob_json(&message.payload));
            }
        }
        let mut wrapper = Map::new();
        wrapper.insert(event_type.to_owned(), Value::Object(event));
        events.push(Value::Object(wrapper));
    }
    let mut response = Map::new();
    response.insert("Payload".into(), Value::Array(events));
    response.insert("Records".into(), blob_json(&records));
    Ok(Value::Object(response))
}

/// Bytes as the envelope carries a blob: a string when UTF-8, else `{"base64": …}`.
fn blob_json(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => {
            let mut object = Map::new();
            object.insert(
                "base64".into(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
            );
            Value::Object(object)
        }
    }
}

/// The children of a Stats or Progress document (`<Stats><BytesScanned>10</BytesScanned>…</Stats>`)
/// as a JSON object, integer text as numbers; `None` when the payload is not such a document.
fn details_json(payload: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut details = Map::new();
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut field: Option<(String, String)> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                if depth == 0 && seen_root {
                    return None; // a second root element
                }
                seen_root = true;
                depth += 1;
                if depth == 2 {
                    let name = std::str::from_utf8(start.name().as_ref()).ok()?.to_owned();
                    field = Some((name, String::new()));
                }
            }
            Event::Empty(empty) => {
                if depth == 0 {
                    if seen_root {
                        return None;
                    }
                    seen_root = true;
                } else if depth == 1 {
                    let name = std::str::from_utf8(empty.name().as_ref()).ok()?.to_owned();
                    details.insert(name, Value::String(String::new()));
                }
            }
            Event::Text(content) if depth == 2 => {
                if let Some((_, value)) = field.as_mut() {
                    value.push_str(&content.unescape().ok()?);
                }
            }
            Event::Text(_) if depth == 0 => return None, // text outside the root: not XML
            Event::End(_) => {
                if depth == 2 {
                    if let Some((name, value)) = field.take() {
                        details.insert(name, scalar_json(&value));
                    }
                }
                depth = depth.checked_sub(1)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (seen_root && depth == 0).then_some(Value::Object(details))
}

/// Integer text as a JSON number, anything else as a string.
fn scalar_json(text: &str) -> Value {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(n) = text.parse::<u64>() {
        return Value::from(n);
    }
    Value::String(text.to_owned())
}
