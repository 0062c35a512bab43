//! Conversion between S3's XML bodies and the JSON of the envelope, in both directions, driven by the
//! spec's [`Shape`]s. [`xml_to_json`] turns any response body into JSON and never fails: shapes decide
//! which elements are lists (always arrays), numbers and booleans; what no shape describes falls back to
//! plain rules, and a body that is not XML is carried as a string. [`json_to_xml`] writes a request body
//! from JSON in the response's form, byte for byte as botocore would, after the strict validation that
//! [`check_json`] also runs on its own. This module knows nothing of HTTP: status codes, headers and which
//! operation a body belongs to are the caller's business.

use std::borrow::Cow;
use std::fmt;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::Reader;
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

use crate::shape::{Field, ListShape, MapShape, Namespace, Shape};
use crate::timestamp::{format_timestamp, parse_timestamp};

/// Element nesting deeper than this is not converted (S3's bodies nest fewer than ten levels); such a
/// body is carried as a string, which keeps the recursion here, and in dropping the JSON, bounded.
const MAX_DEPTH: usize = 128;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

// ------------------------------------------------------------------------------------------------
// XML → JSON
// ------------------------------------------------------------------------------------------------

/// Converts a response body to JSON.
///
/// - An empty (or all-whitespace) body is `null`; a body that is not well-formed XML (moto answers some
///   calls with the plain text `True`) is a JSON string of the body, decoded lossily as UTF-8.
/// - A root element named `Error` gives `{"Error": {...}}`, converted with the plain rules whatever
///   `shape` is, so that scripts can read `.response.Error.Code` from every error.
/// - Otherwise the root element is dropped and its content converted with `shape`, the operation's
///   output shape. The root's name is never consulted, so a server that names it differently still
///   converts.
///
/// With a shape, a structure becomes an object keyed by API member names (children are matched by wire
/// name, namespace prefixes ignored; attributes the shape declares are read too); a list is always an
/// array, even of one item or none (flattened lists collect their repeated siblings); a map is an
/// object; integers and floats are numbers, booleans are `true`/`false`; timestamps, blobs and strings
/// are their text. Text that does not parse as the declared number or boolean stays a string.
///
/// Without a shape (no `shape`, or an element the shape does not know, such as a server's extension),
/// the plain rules apply: an element with children is an object, repeated siblings become an array, a
/// leaf is its text and an empty element is `""`. Attributes are dropped, `xmlns` declarations always.
/// Keys keep document order.
pub fn xml_to_json(body: &[u8], shape: Option<&'static Shape>) -> Value {
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    let mut reader = Reader::from_reader(body);
    // Defaults, spelled out because the conversion relies on them: mismatched end tags are errors, and
    // text is kept exactly as sent (keys can begin or end with spaces).
    let config = reader.config_mut();
    config.check_end_names = true;
    config.trim_text(false);
    let mut parser = Parser { reader, depth: 0 };
    match parser.document(shape) {
        Ok(value) => value,
        Err(NotXml) => Value::String(String::from_utf8_lossy(body).into_owned()),
    }
}

/// Shape the top level of a successful response for scripts:
/// - a structure whose body is its one member's text (GetBucketLocation answers
///   `<LocationConstraint>eu-west-1</LocationConstraint>`, or an empty element for us-east-1) becomes
///   `{"LocationConstraint": "eu-west-1"}` (or `""`), one JSON type either way;
/// - in a listing's answer (`listing`: ListObjectsV2, ListParts, ListBucketInventoryConfigurations,
///   ...), each top-level list the body left out is an empty array, so `.response.Contents[]` works
///   on an empty bucket. Other answers (configurations) are left as the server sent them, so what
///   `get-…` prints goes back to `put-…` unchanged.
pub fn normalize_response(value: &mut Value, shape: &'static Shape, listing: bool) {
    let Shape::Structure(fields) = shape else {
        return;
    };
    if let [only] = fields {
        if matches!(only.shape, Shape::String) {
            let text = match value {
                Value::String(s) => Some(std::mem::take(s)),
                Value::Object(map) if map.is_empty() => Some(String::new()),
                Value::Null => Some(String::new()),
                _ => None,
            };
            if let Some(text) = text {
                let mut map = serde_json::Map::new();
                map.insert(only.name.to_string(), Value::String(text));
                *value = Value::Object(map);
                return;
            }
        }
    }
    let Value::Object(map) = value else { return };
    if map.contains_key("Error") {
        return;
    }
    if !listing {
        return;
    }
    for field in fields.iter() {
        if matches!(field.shape, Shape::List(_)) && !map.contains_key(field.name) {
            map.insert(field.name.to_string(), Value::Array(Vec::new()));
        }
    }
}

/// The body is not XML that can be converted (malformed, undecodable, or nested beyond [`MAX_DEPTH`]).
struct NotXml;

impl From<quick_xml::Error> for NotXml {
    fn from(_: quick_xml::Error) -> Self {
        NotXml
    }
}

impl From<quick_xml::encoding::EncodingError> for NotXml {
    fn from(_: quick_xml::encoding::EncodingError) -> Self {
        NotXml
    }
}

impl From<quick_xml::events::attributes::AttrError> for NotXml {
    fn from(_: quick_xml::events::attributes::AttrError) -> Self {
        NotXml
    }
}

/// What comes next inside an element: a child element (`true` when it is self-closing) or the end.
enum Item<'a> {
    Child(BytesStart<'a>, bool),
    End,
}

/// The character data of one element, kept only while the element has no child element: once it has,
/// it becomes an object or array and its text (whitespace in practice) is dropped.
#[derive(Default)]
struct Text<'a> {
    text: Option<Cow<'a, str>>,
    seen_child: bool,
}

impl<'a> Text<'a> {
    fn push(&mut self, piece: Cow<'a, str>) {
        if self.seen_child {
            return;
        }
        match &mut self.text {
            None => self.text = Some(piece),
            Some(text) => text.to_mut().push_str(&piece),
        }
    }

    fn into_string(self) -> String {
        self.text.map(Cow::into_owned).unwrap_or_default()
    }

    /// The text, unless the element had children or its text is only whitespace.
    fn meaningful(self) -> Option<String> {
        if self.seen_child {
            return None;
        }
        self.text
            .filter(|t| !t.bytes().all(is_xml_space))
            .map(Cow::into_owned)
    }
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn document(&mut self, shape: Option<&'static Shape>) -> Result<Value, NotXml> {
        let (root, empty) = loop {
            match self.reader.read_event()? {
                Event::Start(start) => break (start, false),
                Event::Empty(start) => break (start, true),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
                Event::Text(text) if is_blank(&text) => {}
                _ => return Err(NotXml),
            }
        };
        let value = if root.local_name().as_ref() == b"Error" {
            let error = self.element(&root, empty, None)?;
            let mut map = Map::with_capacity(1);
            map.insert("Error".to_owned(), error);
            Value::Object(map)
        } else {
            self.element(&root, empty, shape)?
        };
        loop {
            match self.reader.read_event()? {
                Event::Eof => return Ok(value),
                Event::PI(_) | Event::Comment(_) => {}
                Event::Text(text) if is_blank(&text) => {}
                _ => return Err(NotXml),
            }
        }
    }

    /// The next child element or the end of the current element, collecting character data on the way.
    fn next_item(&mut self, text: &mut Text<'a>) -> Result<Item<'a>, NotXml> {
        loop {
            match self.reader.read_event()? {
                Event::Start(start) => {
                    text.seen_child = true;
                    return Ok(Item::Child(start, false));
                }
                Event::Empty(start) => {
                    text.seen_child = true;
                    return Ok(Item::Child(start, true));
                }
                Event::End(_) => return Ok(Item::End),
                // Unescaped even when it will be dropped: a bad entity makes the body malformed.
                Event::Text(t) => text.push(t.unescape()?),
                Event::CData(c) => text.push(c.decode()?),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Decl(_) | Event::DocType(_) | Event::Eof => return Err(NotXml),
            }
        }
    }

    /// Converts the element whose start tag was just read (`empty` when it was `<X/>`).
    fn element(
        &mut self,
        start: &BytesStart<'a>,
        empty: bool,
        shape: Option<&'static Shape>,
    ) -> Result<Value, NotXml> {
        self.enter()?;
        let value = match shape {
            None => {
                check_attributes(start)?;
                self.plain(empty)?
            }
            Some(Shape::Structure(fields)) => self.structure(start, empty, fields)?,
            Some(Shape::List(list)) => {
                check_attributes(start)?;
                self.list(empty, list)?
            }
            Some(Shape::Map(map)) => {
                check_attributes(start)?;
                self.map(empty, map)?
            }
            Some(scalar) => {
                check_attributes(start)?;
                typed(self.plain(empty)?, scalar)
            }
        };
        self.depth -= 1;
        Ok(value)
    }

    fn enter(&mut self) -> Result<(), NotXml> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(NotXml);
        }
        Ok(())
    }

    /// The plain rules: children make an object (repeated names an array), otherwise the text.
    fn plain(&mut self, empty: bool) -> Result<Value, NotXml> {
        if empty {
            return Ok(Value::String(String::new()));
        }
        let mut text = Text::default();
        let mut map: Option<Map<String, Value>> = None;
        while let Item::Child(child, child_empty) = self.next_item(&mut text)? {
            let key = name_string(child.local_name().as_ref())?;
            let value = self.element(&child, child_empty, None)?;
            insert_repeated(map.get_or_insert_with(Map::new), key, value);
        }
        Ok(match map {
            Some(map) => Value::Object(map),
            None => Value::String(text.into_string()),
        })
    }

    fn structure(
        &mut self,
        start: &BytesStart<'a>,
        empty: bool,
        fields: &'static [Field],
    ) -> Result<Value, NotXml> {
        // Sized for the shape up front: growing an index map rehashes it, which showed in profiles.
        let mut map = Map::with_capacity(fields.len().min(16));
        read_attributes(start, fields, &mut map)?;
        if empty {
            return Ok(Value::Object(map));
        }
        let mut text = Text::default();
        // S3 writes members in shape order, so the search for the next one starts at the last match.
        let mut hint = 0;
        while let Item::Child(child, child_empty) = self.next_item(&mut text)? {
            let local = child.local_name();
            match find_field(fields, local.as_ref(), &mut hint) {
                Some(field) => self.member(&mut map, field, &child, child_empty)?,
                None => {
                    let key = name_string(local.as_ref())?;
                    let value = self.element(&child, child_empty, None)?;
                    insert_repeated(&mut map, key, value);
                }
            }
        }
        if map.is_empty() {
            // Text where the shape expects children: keep it rather than lose it.
            if let Some(text) = text.meaningful() {
                return Ok(Value::String(text));
            }
        }
        Ok(Value::Object(map))
    }

    /// Converts a child element that a structure's `field` names, and stores it in `map`.
    fn member(
        &mut self,
        map: &mut Map<String, Value>,
        field: &'static Field,
        child: &BytesStart<'a>,
        empty: bool,
    ) -> Result<(), NotXml> {
        match field.shape {
            Shape::List(list) if list.flattened => {
                let item = self.element(child, empty, Some(list.member))?;
                push_item(map, field.name, item);
            }
            Shape::Map(shape) if shape.flattened => {
                let (key, value) = self.map_entry(child, empty, shape)?;
                if let Value::Object(entries) = map
                    .entry(field.name)
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    entries.insert(key, value);
                }
            }
            Shape::List(_) => {
                let items = self.element(child, empty, Some(field.shape))?;
                match (map.get_mut(field.name), items) {
                    // The same wrapped list twice: one list of both's items.
                    (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more),
                    (_, items) => insert_repeated(map, field.name.to_owned(), items),
                }
            }
            _ => {
                let value = self.element(child, empty, Some(field.shape))?;
                insert_repeated(map, field.name.to_owned(), value);
            }
        }
        Ok(())
    }

    /// A wrapped list: every child element is an item, whatever its name.
    fn list(&mut self, empty: bool, list: &'static ListShape) -> Result<Value, NotXml> {
        let mut items = Vec::new();
        if empty {
            return Ok(Value::Array(items));
        }
        let mut text = Text::default();
        while let Item::Child(child, child_empty) = self.next_item(&mut text)? {
            items.push(self.element(&child, child_empty, Some(list.member))?);
        }
        if let Some(text) = text.meaningful() {
            items.push(Value::String(text));
        }
        Ok(Value::Array(items))
    }

    /// A wrapped map: every child element is an entry.
    fn map(&mut self, empty: bool, shape: &'static MapShape) -> Result<Value, NotXml> {
        let mut entries = Map::new();
        if !empty {
            let mut text = Text::default();
            while let Item::Child(child, child_empty) = self.next_item(&mut text)? {
                let (key, value) = self.map_entry(&child, child_empty, shape)?;
                entries.insert(key, value);
            }
        }
        Ok(Value::Object(entries))
    }

    /// One map entry, `<entry><key>k</key><value>v</value></entry>`; a missing key is `""`, a missing
    /// value `null`.
    fn map_entry(
        &mut self,
        start: &BytesStart<'a>,
        empty: bool,
        shape: &'static MapShape,
    ) -> Result<(String, Value), NotXml> {
        check_attributes(start)?;
        self.enter()?;
        let mut key = String::new();
        let mut value = Value::Null;
        if !empty {
            let mut text = Text::default();
            while let Item::Child(child, child_empty) = self.next_item(&mut text)? {
                let local = child.local_name();
                if wire_matches(shape.key_wire, local.as_ref()) {
                    key = match self.element(&child, child_empty, None)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                } else if wire_matches(shape.value_wire, local.as_ref()) {
                    value = self.element(&child, child_empty, Some(shape.value))?;
                } else {
                    self.element(&child, child_empty, None)?;
                }
            }
        }
        self.depth -= 1;
        Ok((key, value))
    }
}

/// Checks that a start tag's attributes are well-formed, and that their entities are known.
fn check_attributes(start: &BytesStart<'_>) -> Result<(), NotXml> {
    for attribute in start.attributes() {
        attribute?.unescape_value()?;
    }
    Ok(())
}

/// Reads the attributes a structure declares (`xsi:type` → `Type`) into `map`; checks all of them.
fn read_attributes(
    start: &BytesStart<'_>,
    fields: &'static [Field],
    map: &mut Map<String, Value>,
) -> Result<(), NotXml> {
    for attribute in start.attributes() {
        let attribute = attribute?;
        let value = attribute.unescape_value()?;
        let qname = attribute.key.as_ref();
        if qname == b"xmlns" || qname.starts_with(b"xmlns:") {
            continue;
        }
        let local = attribute.key.local_name();
        let field = fields
            .iter()
            .find(|f| f.attribute && f.wire.as_bytes() == qname)
            .or_else(|| {
                fields
                    .iter()
                    .find(|f| f.attribute && local_part(f.wire).as_bytes() == local.as_ref())
            });
        if let Some(field) = field {
            let value = typed(Value::String(value.into_owned()), field.shape);
            map.insert(field.name.to_owned(), value);
        }
    }
    Ok(())
}

/// The element member of `fields` whose wire name is `local`, searching from `hint` onwards.
/// When two members share a wire name (the legacy notification shapes have a list `Events` and a
/// deprecated string `Event`, both `<Event>`), the list wins, so one element is still a list.
fn find_field(fields: &'static [Field], local: &[u8], hint: &mut usize) -> Option<&'static Field> {
    let n = fields.len();
    let found = (0..n)
        .map(|i| (*hint + i) % n)
        .find(|&i| !fields[i].attribute && wire_matches(fields[i].wire, local))?;
    let chosen = if matches!(fields[found].shape, Shape::List(_)) {
        found
    } else {
        (0..n)
            .find(|&i| {
                !fields[i].attribute
                    && matches!(fields[i].shape, Shape::List(_))
                    && wire_matches(fields[i].wire, local)
            })
            .unwrap_or(found)
    };
    *hint = chosen;
    Some(&fields[chosen])
}

/// Whether an element's local name is the wire name `wire` (or, should `wire` carry a prefix, its
/// local part).
fn wire_matches(wire: &str, local: &[u8]) -> bool {
    let wire = wire.as_bytes();
    wire == local
        || (wire.len() > local.len()
            && wire.ends_with(local)
            && wire[wire.len() - local.len() - 1] == b':')
}

/// `xsi:type` → `type`; names without a prefix unchanged.
fn local_part(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

fn name_string(name: &[u8]) -> Result<String, NotXml> {
    std::str::from_utf8(name)
        .map(str::to_owned)
        .map_err(|_| NotXml)
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_blank(text: &BytesText<'_>) -> bool {
    text.iter().copied().all(is_xml_space)
}

/// Inserts under `key`, turning a repeated key into an array of every occurrence (the plain rule).
fn insert_repeated(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.entry(key) {
        Entry::Vacant(entry) => {
            entry.insert(value);
        }
        Entry::Occupied(mut entry) => match entry.get_mut() {
            Value::Array(items) => items.push(value),
            existing => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        },
    }
}

/// Appends an item of a flattened list, creating the array where the list first appears.
fn push_item(map: &mut Map<String, Value>, key: &'static str, item: Value) {
    match map.get_mut(key) {
        Some(Value::Array(items)) => items.push(item),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, item]);
        }
        None => {
            map.insert(key.to_owned(), Value::Array(vec![item]));
        }
    }
}

/// Gives a leaf's text its declared type; text that does not parse as one stays a string.
fn typed(value: Value, shape: &Shape) -> Value {
    let Value::String(text) = value else {
        return value;
    };
    let parsed = match shape {
        Shape::Integer | Shape::Long => parse_integer(&text),
        // An integral value stays an integer, so that JSON `7` for a double comes back as `7`.
        Shape::Float | Shape::Double => parse_integer(&text).or_else(|| parse_float(&text)),
        Shape::Boolean => parse_bool(&text).map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or(Value::String(text))
}

fn parse_integer(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    text.parse::<u64>().ok().map(|u| Value::Number(u.into()))
}

fn parse_float(text: &str) -> Option<Value> {
    let f = text.trim().parse::<f64>().ok()?;
    Number::from_f64(f).map(Value::Number)
}

fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

// ------------------------------------------------------------------------------------------------
// JSON → XML
// ------------------------------------------------------------------------------------------------

/// JSON that does not fit the shape it is meant for: which value, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}expected {expected}, found {found}", PathPrefix(&self.path))]
pub struct ShapeError {
    /// Where in the JSON, e.g. `Tagging.TagSet[0].Key`; empty for the value itself.
    pub path: String,
    /// What the shape allows there, e.g. `a string`.
    pub expected: String,
    /// What was given, e.g. `a number (7)`.
    pub found: String,
}

struct PathPrefix<'a>(&'a str);

impl fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

/// Writes a request body: `value`, in the JSON form [`xml_to_json`] gives, as the XML element `root`
/// (declaring `namespace` as its default namespace) described by `shape`.
///
/// The output is botocore's, byte for byte: no XML declaration and no whitespace; members in shape
/// order (not JSON order); wrapped lists as `<Wire><Item>…</Item></Wire>`, flattened lists as repeated
/// elements; booleans `true`/`false`; numbers as written; timestamps in the member's format, from any
/// form [`parse_timestamp`] accepts; attribute members as attributes; a member's own namespace declared
/// on its element; `<X />` for an element with no content. JSON `null` members are left out. Blobs are
/// given as base64 text, the form [`xml_to_json`] returns them in. One deliberate difference: a
/// carriage return in text is written `&#13;`, where botocore writes it raw and the server's XML parser
/// turns it into a line feed (so botocore cannot name a key that contains one).
///
/// Errors when the JSON does not fit the shape (see [`check_json`]); the error's path starts at `root`.
pub fn json_to_xml(
    value: &Value,
    root: &str,
    namespace: Option<&str>,
    shape: &'static Shape,
) -> Result<String, ShapeError> {
    let mut walk = Walk {
        out: Some(String::with_capacity(256)),
        path: vec![Seg::Key(root)],
    };
    let decl = namespace.map(|uri| Decl { prefix: None, uri });
    walk.element(root, decl, value, shape)?;
    Ok(walk.out.unwrap_or_default())
}

/// Checks that `value` fits `shape` as [`json_to_xml`] requires, without writing XML (the same code runs
/// in both). Strict: a wrong JSON type, a member the structure does not have, text XML cannot carry or
/// a timestamp that does not parse is an error naming the JSON path (relative to `value`). Numbers may
/// also be given as strings holding a number, booleans as the strings `"true"`/`"false"`, timestamps as
/// epoch seconds.
pub fn check_json(value: &Value, shape: &'static Shape) -> Result<(), ShapeError> {
    let mut walk = Walk {
        out: None,
        path: Vec::new(),
    };
    // The element name is irrelevant: nothing is written.
    walk.element("", None, value, shape)
}

/// A namespace declaration to write on an element.
#[derive(Clone, Copy)]
struct Decl<'a> {
    prefix: Option<&'a str>,
    uri: &'a str,
}

impl From<Namespace> for Decl<'static> {
    fn from(ns: Namespace) -> Self {
        Decl {
            prefix: ns.prefix,
            uri: ns.uri,
        }
    }
}

/// A step of a JSON path.
enum Seg<'v> {
    Key(&'v str),
    Index(usize),
}

/// One walk over a JSON value along a shape, validating it and, when `out` is present, writing XML.
struct Walk<'v> {
    out: Option<String>,
    path: Vec<Seg<'v>>,
}

impl<'v> Walk<'v> {
    fn element(
        &mut self,
        wire: &str,
        ns: Option<Decl<'_>>,
        value: &'v Value,
        shape: &'static Shape,
    ) -> Result<(), ShapeError> {
        match shape {
            Shape::Structure(fields) => self.structure(wire, ns, value, fields),
            // A list or map reached here is written wrapped; flattened ones are written by `member`.
            Shape::List(list) => {
                let items = self.array(value)?;
                self.open(wire, ns);
                let mark = self.end_start_tag();
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.element(list.member_wire, None, item, list.member)?;
                    self.path.pop();
                }
                self.close(wire, mark);
                Ok(())
            }
            Shape::Map(map) => {
                let entries = self.object(value)?;
                self.open(wire, ns);
                let mark = self.end_start_tag();
                for (key, item) in entries {
                    if item.is_null() {
                        continue;
                    }
                    self.path.push(Seg::Key(key));
                    self.open("entry", None);
                    let entry = self.end_start_tag();
                    self.map_entry(map, key, item)?;
                    self.close("entry", entry);
                    self.path.pop();
                }
                self.close(wire, mark);
                Ok(())
            }
            scalar => {
                let text = self.scalar_text(value, scalar)?;
                self.open(wire, ns);
                let mark = self.end_start_tag();
                if let Some(out) = &mut self.out {
                    escape_text(out, &text);
                }
                self.close(wire, mark);
                Ok(())
            }
        }
    }

    fn structure(
        &mut self,
        wire: &str,
        ns: Option<Decl<'_>>,
        value: &'v Value,
        fields: &'static [Field],
    ) -> Result<(), ShapeError> {
        let Some(members) = value.as_object() else {
            return Err(self.error("an object (a structure)".to_owned(), describe(value)));
        };
        if let Some(unknown) = members
            .keys()
            .find(|key| !fields.iter().any(|f| f.name == key.as_str()))
        {
            self.path.push(Seg::Key(unknown));
            return Err(self.unknown_member(unknown, fields));
        }
        self.open(wire, ns);
        for field in fields.iter().filter(|f| f.attribute) {
            let Some(value) = members.get(field.name).filter(|v| !v.is_null()) else {
                continue;
            };
            self.path.push(Seg::Key(field.name));
            let text = self.scalar_text(value, field.shape)?;
            if let Some(out) = &mut self.out {
                out.push(' ');
                out.push_str(field.wire);
                out.push_str("=\"");
                escape_attribute(out, &text);
                out.push('"');
            }
            self.path.pop();
        }
        let mark = self.end_start_tag();
        for field in fields.iter().filter(|f| !f.attribute) {
            let Some(value) = members.get(field.name).filter(|v| !v.is_null()) else {
                continue;
            };
            self.path.push(Seg::Key(field.name));
            self.member(field, value)?;
            self.path.pop();
        }
        self.close(wire, mark);
        Ok(())
    }

    fn member(&mut self, field: &'static Field, value: &'v Value) -> Result<(), ShapeError> {
        let ns = field.namespace.map(Decl::from);
        match field.shape {
            Shape::List(list) if list.flattened => {
                for (i, item) in self.array(value)?.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.element(field.wire, ns, item, list.member)?;
                    self.path.pop();
                }
                Ok(())
            }
            Shape::Map(map) if map.flattened => {
                for (key, item) in self.object(value)? {
                    if item.is_null() {
                        continue;
                    }
                    self.path.push(Seg::Key(key));
                    self.open(field.wire, ns);
                    let mark = self.end_start_tag();
                    self.map_entry(map, key, item)?;
                    self.close(field.wire, mark);
                    self.path.pop();
                }
                Ok(())
            }
            shape => self.element(field.wire, ns, value, shape),
        }
    }

    fn map_entry(&mut self, map: &MapShape, key: &str, item: &'v Value) -> Result<(), ShapeError> {
        if let Some(bad) = key.chars().find(|c| !is_xml_char(*c)) {
            return Err(self.error(
                "a key XML can carry".to_owned(),
                format!("a key containing {}", char_name(bad)),
            ));
        }
        self.open(map.key_wire, None);
        let mark = self.end_start_tag();
        if let Some(out) = &mut self.out {
            escape_text(out, key);
        }
        self.close(map.key_wire, mark);
        self.element(map.value_wire, None, item, map.value)
    }

    fn array(&self, value: &'v Value) -> Result<&'v Vec<Value>, ShapeError> {
        value
            .as_array()
            .ok_or_else(|| self.error("an array (a list)".to_owned(), describe(value)))
    }

    fn object(&self, value: &'v Value) -> Result<&'v Map<String, Value>, ShapeError> {
        value
            .as_object()
            .ok_or_else(|| self.error("an object (a map)".to_owned(), describe(value)))
    }

    /// The text of a scalar value as it goes on the wire.
    fn scalar_text(&self, value: &'v Value, shape: &Shape) -> Result<Cow<'v, str>, ShapeError> {
        let text = match shape {
            Shape::String => match value {
                Value::String(s) => Some(Cow::Borrowed(s.as_str())),
                _ => None,
            },
            Shape::Blob => match value {
                Value::String(s) => {
                    use base64::Engine as _;
                    if base64::engine::general_purpose::STANDARD.decode(s).is_err() {
                        return Err(self.error(
                            "base64 text (a blob)".to_owned(),
                            format!("a string that is not base64 ({})", quote(s)),
                        ));
                    }
                    Some(Cow::Borrowed(s.as_str()))
                }
                _ => None,
            },
            Shape::Integer | Shape::Long => integer_text(value).map(Cow::Owned),
            Shape::Float | Shape::Double => float_text(value).map(Cow::Owned),
            Shape::Boolean => match value {
                Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                Value::String(s) => {
                    parse_bool(s).map(|b| Cow::Borrowed(if b { "true" } else { "false" }))
                }
                _ => None,
            },
            Shape::Timestamp(format) => {
                let parsed = match value {
                    Value::String(s) => match parse_timestamp(s) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            return Err(self.error(
                                TIMESTAMP_EXPECTED.to_owned(),
                                format!("{} ({})", quote(s), e.reason),
                            ))
                        }
                    },
                    Value::Number(n) => n
                        .as_i64()
                        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok()),
                    _ => None,
                };
                parsed.map(|t| Cow::Owned(format_timestamp(t, *format)))
            }
            Shape::Structure(_) | Shape::List(_) | Shape::Map(_) => {
                return Err(self.error(
                    format!(
                    "a simple value (the spec makes this {} an XML attribute, which it cannot be)",
                    shape.kind_name()
                ),
                    describe(value),
                ))
            }
        };
        let Some(text) = text else {
            return Err(self.error(expected_for(shape), describe(value)));
        };
        if let Some(bad) = text.chars().find(|c| !is_xml_char(*c)) {
            return Err(self.error(
                "text XML can carry".to_owned(),
                format!("a string containing {}", char_name(bad)),
            ));
        }
        Ok(text)
    }

    /// Writes `<wire` and the namespace declaration, leaving the start tag open for attributes.
    fn open(&mut self, wire: &str, ns: Option<Decl<'_>>) {
        let Some(out) = &mut self.out else { return };
        out.push('<');
        out.push_str(wire);
        if let Some(ns) = ns {
            out.push_str(" xmlns");
            if let Some(prefix) = ns.prefix {
                out.push(':');
                out.push_str(prefix);
            }
            out.push_str("=\"");
            escape_attribute(out, ns.uri);
            out.push('"');
        }
    }

    /// Closes the start tag; returns where the content begins, for [`Walk::close`].
    fn end_start_tag(&mut self) -> usize {
        let Some(out) = &mut self.out else { return 0 };
        out.push('>');
        out.len()
    }

    /// Writes the end tag, or turns the element into `<wire />` when nothing was written into it
    /// (as Python's ElementTree, and so botocore, does).
    fn close(&mut self, wire: &str, content_start: usize) {
        let Some(out) = &mut self.out else { return };
        if out.len() == content_start {
            out.pop();
            out.push_str(" />");
        } else {
            out.push_str("</");
            out.push_str(wire);
            out.push('>');
        }
    }

    fn error(&self, expected: String, found: String) -> ShapeError {
        ShapeError {
            path: format_path(&self.path),
            expected,
            found,
        }
    }

    fn unknown_member(&self, name: &str, fields: &'static [Field]) -> ShapeError {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let expected = if names.is_empty() {
            "no members (this structure has none)".to_owned()
        } else {
            format!("one of the members {}", names.join(", "))
        };
        let found = match nearest(name, &names) {
            Some(near) => format!(
                "an unknown member {} (did you mean {}?)",
                quote(name),
                quote(near)
            ),
            None => format!("an unknown member {}", quote(name)),
        };
        self.error(expected, found)
    }
}

const TIMESTAMP_EXPECTED: &str = "a timestamp such as 2026-01-02T03:04:05Z";

fn expected_for(shape: &Shape) -> String {
    match shape {
        Shape::String => "a string",
        Shape::Blob => "base64 text (a blob)",
        Shape::Integer | Shape::Long => "an integer",
        Shape::Float | Shape::Double => "a number",
        Shape::Boolean => "a boolean (true or false)",
        Shape::Timestamp(_) => TIMESTAMP_EXPECTED,
        Shape::Structure(_) => "an object (a structure)",
        Shape::List(_) => "an array (a list)",
        Shape::Map(_) => "an object (a map)",
    }
    .to_owned()
}

/// An integer as its canonical text: from a JSON integer, a float with no fraction, or a string
/// holding an integer.
fn integer_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                Some(n.to_string())
            } else {
                let f = n.as_f64()?;
                // Only whole numbers that an i64 holds exactly; 2^63 itself does not fit.
                let whole = f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0;
                whole.then(|| (f as i64).to_string())
            }
        }
        Value::String(s) => match parse_integer(s)? {
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// A number as its text: from a JSON number, or a string holding a finite number.
fn float_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => match parse_integer(s).or_else(|| parse_float(s))? {
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether XML 1.0 can carry the character at all (escaped or not).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn char_name(c: char) -> String {
    format!("U+{:04X}, which XML 1.0 cannot carry", u32::from(c))
}

/// Escapes element text: `&`, `<`, `>` as ElementTree does, and `\r` as `&#13;` (which ElementTree
/// leaves raw, so that an XML parser turns it into `\n` and a key with a carriage return is lost).
fn escape_text(out: &mut String, text: &str) {
    escape_into(out, text, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#13;"),
        _ => None,
    });
}

/// Escapes attribute values as ElementTree does: also `"`, and the whitespace that attribute-value
/// normalisation would otherwise turn into spaces.
fn escape_attribute(out: &mut String, text: &str) {
    escape_into(out, text, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\r' => Some("&#13;"),
        b'\n' => Some("&#10;"),
        b'\t' => Some("&#09;"),
        _ => None,
    });
}

fn escape_into(out: &mut String, text: &str, replacement: impl Fn(u8) -> Option<&'static str>) {
    let mut copied = 0;
    for (i, b) in text.bytes().enumerate() {
        // Every byte replaced is ASCII, so `i` and `i + 1` are character boundaries.
        if let Some(rep) = replacement(b) {
            out.push_str(&text[copied..i]);
            out.push_str(rep);
            copied = i + 1;
        }
    }
    out.push_str(&text[copied..]);
}

/// A short description of a JSON value for error messages: its type, and the value when small.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", quote(s)),
        Value::Array(a) => format!(
            "an array of {} item{}",
            a.len(),
            if a.len() == 1 { "" } else { "s" }
        ),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A string JSON-quoted, cut to a readable length.
fn quote(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", Value::String(s[..cut].to_owned())),
        None => Value::String(s.to_owned()).to_string(),
    }
}

fn format_path(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Seg::Key(key) => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(&Value::String((*key).to_owned()).to_string());
                    out.push(']');
                }
            }
        }
    }
    out
}

/// The member name closest to `name`, if it is close enough to be a likely typo.
fn nearest<'n>(name: &str, names: &[&'n str]) -> Option<&'n str> {
    let lower = name.to_lowercase();
    names
        .iter()
        .map(|candidate| (edit_distance(&lower, &candidate.to_lowercase()), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    //! Only what needs the module's privates; the converter's tests are in `tests/xml.rs`.
    use super::*;

    #[test]
    fn nesting_up_to_max_depth_converts_and_one_more_level_is_a_string() {
        let deepest = format!("{}x{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(xml_to_json(deepest.as_bytes(), None).is_object());
        let too_deep = format!("<a>{deepest}</a>");
        assert!(xml_to_json(too_deep.as_bytes(), None).is_string());
    }
}
