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
mod normalize_tests {
    use super::*;
    use crate::shape::{Field, ListShape};

    static ITEMS: Shape = Shape::List(ListShape {
        member: &Shape::String,
        member_wire: "Item",
        flattened: true,
    });
    static OUT: Shape = Shape::Structure(&[
        Field {
            name: "Name",
            wire: "Name",
            shape: &Shape::String,
            attribute: false,
            namespace: None,
        },
        Field {
            name: "Items",
            wire: "Items",
            shape: &ITEMS,
            attribute: false,
            namespace: None,
        },
        Field {
            name: "Other",
            wire: "Other",
            shape: &ITEMS,
            attribute: false,
            namespace: None,
        },
    ]);
    static LOCATION: Shape = Shape::Structure(&[Field {
        name: "LocationConstraint",
        wire: "LocationConstraint",
        shape: &Shape::String,
        attribute: false,
        namespace: None,
    }]);

    #[test]
    fn absent_result_lists_become_empty_arrays_and_nothing_else_is_added() {
        let mut v = xml_to_json(b"<R><Name>n</Name></R>", Some(&OUT));
        normalize_response(&mut v, &OUT, true);
        assert_eq!(
            v,
            serde_json::json!({"Name": "n", "Items": [], "Other": []})
        );
        let mut config = xml_to_json(b"<R><Name>n</Name></R>", Some(&OUT));
        normalize_response(&mut config, &OUT, false);
        assert_eq!(
            config,
            serde_json::json!({"Name": "n"}),
            "not a listing: as sent"
        );
        let mut err = xml_to_json(b"<Error><Code>X</Code></Error>", Some(&OUT));
        normalize_response(&mut err, &OUT, true);
        assert_eq!(err, serde_json::json!({"Error": {"Code": "X"}}));
    }

    #[test]
    fn a_body_that_is_its_one_member_gets_the_member_name() {
        for (xml, expected) in [
            (&b"<LocationConstraint>eu-west-1</LocationConstraint>"[..], "eu-west-1"),
            (&b"<LocationConstraint/>"[..], ""),
            (&b"<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"[..], ""),
        ] {
            let mut v = xml_to_json(xml, Some(&LOCATION));
            normalize_response(&mut v, &LOCATION, false);
            assert_eq!(v, serde_json::json!({"LocationConstraint": expected}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::TimestampFormat;
    use proptest::prelude::*;
    use serde_json::json;

    const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

    // Shape tables as build.rs will emit them, written here for the cases under test. The S3 shapes
    // below were transcribed from botocore's model (../shared/s3-model/service-2.json), body members
    // only.

    const fn member(name: &'static str, shape: &'static Shape) -> Field {
        renamed(name, name, shape)
    }

    const fn renamed(name: &'static str, wire: &'static str, shape: &'static Shape) -> Field {
        Field {
            name,
            wire,
            shape,
            attribute: false,
            namespace: None,
        }
    }

    const fn attribute(name: &'static str, wire: &'static str, shape: &'static Shape) -> Field {
        Field {
            name,
            wire,
            shape,
            attribute: true,
            namespace: None,
        }
    }

    const fn namespaced(
        name: &'static str,
        wire: &'static str,
        shape: &'static Shape,
        prefix: Option<&'static str>,
        uri: &'static str,
    ) -> Field {
        Field {
            name,
            wire,
            shape,
            attribute: false,
            namespace: Some(Namespace { prefix, uri }),
        }
    }

    const fn list(member: &'static Shape, member_wire: &'static str, flattened: bool) -> Shape {
        Shape::List(ListShape {
            member,
            member_wire,
            flattened,
        })
    }

    static STRING: Shape = Shape::String;
    static INTEGER: Shape = Shape::Integer;
    static LONG: Shape = Shape::Long;
    static DOUBLE: Shape = Shape::Double;
    static BOOLEAN: Shape = Shape::Boolean;
    static BLOB: Shape = Shape::Blob;
    static TIMESTAMP_ISO8601: Shape = Shape::Timestamp(TimestampFormat::Iso8601);
    static TIMESTAMP_RFC822: Shape = Shape::Timestamp(TimestampFormat::Rfc822);
    static TIMESTAMP_UNIX: Shape = Shape::Timestamp(TimestampFormat::UnixTimestamp);

    static TAG: Shape = Shape::Structure(&[member("Key", &STRING), member("Value", &STRING)]);
    static TAG_SET: Shape = list(&TAG, "Tag", false);
    static TAGGING: Shape = Shape::Structure(&[member("TagSet", &TAG_SET)]);
    static OBJECT_IDENTIFIER: Shape = Shape::Structure(&[
        member("Key", &STRING),
        member("VersionId", &STRING),
        member("ETag", &STRING),
        member("LastModifiedTime", &TIMESTAMP_RFC822),
        member("Size", &LONG),
    ]);
    static OBJECT_IDENTIFIER_LIST: Shape = list(&OBJECT_IDENTIFIER, "member", true);
    static DELETE: Shape = Shape::Structure(&[
        renamed("Objects", "Object", &OBJECT_IDENTIFIER_LIST),
        member("Quiet", &BOOLEAN),
    ]);
    static COMPLETED_PART: Shape = Shape::Structure(&[
        member("ETag", &STRING),
        member("ChecksumCRC32", &STRING),
        member("ChecksumCRC32C", &STRING),
        member("ChecksumCRC64NVME", &STRING),
        member("ChecksumSHA1", &STRING),
        member("ChecksumSHA256", &STRING),
        member("ChecksumSHA512", &STRING),
        member("ChecksumMD5", &STRING),
        member("ChecksumXXHASH64", &STRING),
        member("ChecksumXXHASH3", &STRING),
        member("ChecksumXXHASH128", &STRING),
        member("PartNumber", &INTEGER),
    ]);
    static COMPLETED_PART_LIST: Shape = list(&COMPLETED_PART, "member", true);
    static COMPLETED_MULTIPART_UPLOAD: Shape =
        Shape::Structure(&[renamed("Parts", "Part", &COMPLETED_PART_LIST)]);
    static SERVER_SIDE_ENCRYPTION_BY_DEFAULT: Shape = Shape::Structure(&[
        member("SSEAlgorithm", &STRING),
        member("KMSMasterKeyID", &STRING),
    ]);
    static ENCRYPTION_TYPE_LIST: Shape = list(&STRING, "EncryptionType", true);
    static BLOCKED_ENCRYPTION_TYPES: Shape =
        Shape::Structure(&[member("EncryptionType", &ENCRYPTION_TYPE_LIST)]);
    static SERVER_SIDE_ENCRYPTION_RULE: Shape = Shape::Structure(&[
        member(
            "ApplyServerSideEncryptionByDefault",
            &SERVER_SIDE_ENCRYPTION_BY_DEFAULT,
        ),
        member("BucketKeyEnabled", &BOOLEAN),
        member("BlockedEncryptionTypes", &BLOCKED_ENCRYPTION_TYPES),
    ]);
    static SERVER_SIDE_ENCRYPTION_RULES: Shape = list(&SERVER_SIDE_ENCRYPTION_RULE, "member", true);
    static SERVER_SIDE_ENCRYPTION_CONFIGURATION: Shape =
        Shape::Structure(&[renamed("Rules", "Rule", &SERVER_SIDE_ENCRYPTION_RULES)]);
    static VERSIONING_CONFIGURATION: Shape = Shape::Structure(&[
        renamed("MFADelete", "MfaDelete", &STRING),
        member("Status", &STRING),
    ]);
    static GRANTEE: Shape = Shape::Structure(&[
        member("DisplayName", &STRING),
        member("EmailAddress", &STRING),
        member("ID", &STRING),
        attribute("Type", "xsi:type", &STRING),
        member("URI", &STRING),
    ]);
    static GRANT: Shape = Shape::Structure(&[
        namespaced(
            "Grantee",
            "Grantee",
            &GRANTEE,
            Some("xsi"),
            "http://www.w3.org/2001/XMLSchema-instance",
        ),
        member("Permission", &STRING),
    ]);
    static GRANTS: Shape = list(&GRANT, "Grant", false);
    static OWNER: Shape =
        Shape::Structure(&[member("DisplayName", &STRING), member("ID", &STRING)]);
    static ACCESS_CONTROL_POLICY: Shape = Shape::Structure(&[
        renamed("Grants", "AccessControlList", &GRANTS),
        member("Owner", &OWNER),
    ]);
    static EVENT_HOLD_DURATION: Shape =
        Shape::Structure(&[member("Days", &INTEGER), member("Years", &INTEGER)]);
    static OBJECT_LOCK_RETENTION: Shape = Shape::Structure(&[
        member("Mode", &STRING),
        member("RetainUntilDate", &TIMESTAMP_ISO8601),
        member("EventHold", &STRING),
        member("EventHoldDuration", &EVENT_HOLD_DURATION),
    ]);
    static ALLOWED_HEADERS: Shape = list(&STRING, "member", true);
    static ALLOWED_METHODS: Shape = list(&STRING, "member", true);
    static ALLOWED_ORIGINS: Shape = list(&STRING, "member", true);
    static EXPOSE_HEADERS: Shape = list(&STRING, "member", true);
    static CORS_RULE: Shape = Shape::Structure(&[
        member("ID", &STRING),
        renamed("AllowedHeaders", "AllowedHeader", &ALLOWED_HEADERS),
        renamed("AllowedMethods", "AllowedMethod", &ALLOWED_METHODS),
        renamed("AllowedOrigins", "AllowedOrigin", &ALLOWED_ORIGINS),
        renamed("ExposeHeaders", "ExposeHeader", &EXPOSE_HEADERS),
        member("MaxAgeSeconds", &INTEGER),
    ]);
    static CORS_RULES: Shape = list(&CORS_RULE, "member", true);
    static CORS_CONFIGURATION: Shape =
        Shape::Structure(&[renamed("CORSRules", "CORSRule", &CORS_RULES)]);
    static LIFECYCLE_EXPIRATION: Shape = Shape::Structure(&[
        member("Date", &TIMESTAMP_ISO8601),
        member("Days", &INTEGER),
        member("ExpiredObjectDeleteMarker", &BOOLEAN),
    ]);
    static TAG_SET_FLATTENED: Shape = list(&TAG, "Tag", true);
    static LIFECYCLE_RULE_AND_OPERATOR: Shape = Shape::Structure(&[
        member("Prefix", &STRING),
        renamed("Tags", "Tag", &TAG_SET_FLATTENED),
        member("ObjectSizeGreaterThan", &LONG),
        member("ObjectSizeLessThan", &LONG),
    ]);
    static LIFECYCLE_RULE_FILTER: Shape = Shape::Structure(&[
        member("Prefix", &STRING),
        member("Tag", &TAG),
        member("ObjectSizeGreaterThan", &LONG),
        member("ObjectSizeLessThan", &LONG),
        member("And", &LIFECYCLE_RULE_AND_OPERATOR),
    ]);
    static TRANSITION: Shape = Shape::Structure(&[
        member("Date", &TIMESTAMP_ISO8601),
        member("Days", &INTEGER),
        member("StorageClass", &STRING),
    ]);
    static TRANSITION_LIST: Shape = list(&TRANSITION, "member", true);
    static NONCURRENT_VERSION_TRANSITION: Shape = Shape::Structure(&[
        member("NoncurrentDays", &INTEGER),
        member("StorageClass", &STRING),
        member("NewerNoncurrentVersions", &INTEGER),
    ]);
    static NONCURRENT_VERSION_TRANSITION_LIST: Shape =
        list(&NONCURRENT_VERSION_TRANSITION, "member", true);
    static NONCURRENT_VERSION_EXPIRATION: Shape = Shape::Structure(&[
        member("NoncurrentDays", &INTEGER),
        member("NewerNoncurrentVersions", &INTEGER),
    ]);
    static ABORT_INCOMPLETE_MULTIPART_UPLOAD: Shape =
        Shape::Structure(&[member("DaysAfterInitiation", &INTEGER)]);
    static LIFECYCLE_RULE: Shape = Shape::Structure(&[
        member("Expiration", &LIFECYCLE_EXPIRATION),
        member("ID", &STRING),
        member("Prefix", &STRING),
        member("Filter", &LIFECYCLE_RULE_FILTER),
        member("Status", &STRING),
        renamed("Transitions", "Transition", &TRANSITION_LIST),
        renamed(
            "NoncurrentVersionTransitions",
            "NoncurrentVersionTransition",
            &NONCURRENT_VERSION_TRANSITION_LIST,
        ),
        member(
            "NoncurrentVersionExpiration",
            &NONCURRENT_VERSION_EXPIRATION,
        ),
        member(
            "AbortIncompleteMultipartUpload",
            &ABORT_INCOMPLETE_MULTIPART_UPLOAD,
        ),
    ]);
    static LIFECYCLE_RULES: Shape = list(&LIFECYCLE_RULE, "member", true);
    static BUCKET_LIFECYCLE_CONFIGURATION: Shape =
        Shape::Structure(&[renamed("Rules", "Rule", &LIFECYCLE_RULES)]);
    static EVENT_LIST: Shape = list(&STRING, "member", true);
    static FILTER_RULE: Shape =
        Shape::Structure(&[member("Name", &STRING), member("Value", &STRING)]);
    static FILTER_RULE_LIST: Shape = list(&FILTER_RULE, "member", true);
    static S3_KEY_FILTER: Shape =
        Shape::Structure(&[renamed("FilterRules", "FilterRule", &FILTER_RULE_LIST)]);
    static NOTIFICATION_CONFIGURATION_FILTER: Shape =
        Shape::Structure(&[renamed("Key", "S3Key", &S3_KEY_FILTER)]);
    static TOPIC_CONFIGURATION: Shape = Shape::Structure(&[
        member("Id", &STRING),
        renamed("TopicArn", "Topic", &STRING),
        renamed("Events", "Event", &EVENT_LIST),
        member("Filter", &NOTIFICATION_CONFIGURATION_FILTER),
    ]);
    static TOPIC_CONFIGURATION_LIST: Shape = list(&TOPIC_CONFIGURATION, "member", true);
    static QUEUE_CONFIGURATION: Shape = Shape::Structure(&[
        member("Id", &STRING),
        renamed("QueueArn", "Queue", &STRING),
        renamed("Events", "Event", &EVENT_LIST),
        member("Filter", &NOTIFICATION_CONFIGURATION_FILTER),
    ]);
    static QUEUE_CONFIGURATION_LIST: Shape = list(&QUEUE_CONFIGURATION, "member", true);
    static LAMBDA_FUNCTION_CONFIGURATION: Shape = Shape::Structure(&[
        member("Id", &STRING),
        renamed("LambdaFunctionArn", "CloudFunction", &STRING),
        renamed("Events", "Event", &EVENT_LIST),
        member("Filter", &NOTIFICATION_CONFIGURATION_FILTER),
    ]);
    static LAMBDA_FUNCTION_CONFIGURATION_LIST: Shape =
        list(&LAMBDA_FUNCTION_CONFIGURATION, "member", true);
    static EVENT_BRIDGE_CONFIGURATION: Shape = Shape::Structure(&[]);
    static NOTIFICATION_CONFIGURATION: Shape = Shape::Structure(&[
        renamed(
            "TopicConfigurations",
            "TopicConfiguration",
            &TOPIC_CONFIGURATION_LIST,
        ),
        renamed(
            "QueueConfigurations",
            "QueueConfiguration",
            &QUEUE_CONFIGURATION_LIST,
        ),
        renamed(
            "LambdaFunctionConfigurations",
            "CloudFunctionConfiguration",
            &LAMBDA_FUNCTION_CONFIGURATION_LIST,
        ),
        member("EventBridgeConfiguration", &EVENT_BRIDGE_CONFIGURATION),
    ]);
    static GLACIER_JOB_PARAMETERS: Shape = Shape::Structure(&[member("Tier", &STRING)]);
    static CSV_INPUT: Shape = Shape::Structure(&[
        member("FileHeaderInfo", &STRING),
        member("Comments", &STRING),
        member("QuoteEscapeCharacter", &STRING),
        member("RecordDelimiter", &STRING),
        member("FieldDelimiter", &STRING),
        member("QuoteCharacter", &STRING),
        member("AllowQuotedRecordDelimiter", &BOOLEAN),
    ]);
    static JSON_INPUT: Shape = Shape::Structure(&[member("Type", &STRING)]);
    static PARQUET_INPUT: Shape = Shape::Structure(&[]);
    static INPUT_SERIALIZATION: Shape = Shape::Structure(&[
        member("CSV", &CSV_INPUT),
        member("CompressionType", &STRING),
        member("JSON", &JSON_INPUT),
        member("Parquet", &PARQUET_INPUT),
    ]);
    static CSV_OUTPUT: Shape = Shape::Structure(&[
        member("QuoteFields", &STRING),
        member("QuoteEscapeCharacter", &STRING),
        member("RecordDelimiter", &STRING),
        member("FieldDelimiter", &STRING),
        member("QuoteCharacter", &STRING),
    ]);
    static JSON_OUTPUT: Shape = Shape::Structure(&[member("RecordDelimiter", &STRING)]);
    static OUTPUT_SERIALIZATION: Shape =
        Shape::Structure(&[member("CSV", &CSV_OUTPUT), member("JSON", &JSON_OUTPUT)]);
    static SELECT_PARAMETERS: Shape = Shape::Structure(&[
        member("InputSerialization", &INPUT_SERIALIZATION),
        member("ExpressionType", &STRING),
        member("Expression", &STRING),
        member("OutputSerialization", &OUTPUT_SERIALIZATION),
    ]);
    static ENCRYPTION: Shape = Shape::Structure(&[
        member("EncryptionType", &STRING),
        member("KMSKeyId", &STRING),
        member("KMSContext", &STRING),
    ]);
    static METADATA_ENTRY: Shape =
        Shape::Structure(&[member("Name", &STRING), member("Value", &STRING)]);
    static USER_METADATA: Shape = list(&METADATA_ENTRY, "MetadataEntry", false);
    static S3_LOCATION: Shape = Shape::Structure(&[
        member("BucketName", &STRING),
        member("Prefix", &STRING),
        member("Encryption", &ENCRYPTION),
        member("CannedACL", &STRING),
        member("AccessControlList", &GRANTS),
        member("Tagging", &TAGGING),
        member("UserMetadata", &USER_METADATA),
        member("StorageClass", &STRING),
    ]);
    static OUTPUT_LOCATION: Shape = Shape::Structure(&[member("S3", &S3_LOCATION)]);
    static RESTORE_REQUEST: Shape = Shape::Structure(&[
        member("Days", &INTEGER),
        member("GlacierJobParameters", &GLACIER_JOB_PARAMETERS),
        member("Type", &STRING),
        member("Tier", &STRING),
        member("Description", &STRING),
        member("SelectParameters", &SELECT_PARAMETERS),
        member("OutputLocation", &OUTPUT_LOCATION),
    ]);
    static CHECKSUM_ALGORITHM_LIST: Shape = list(&STRING, "member", true);
    static RESTORE_STATUS: Shape = Shape::Structure(&[
        member("IsRestoreInProgress", &BOOLEAN),
        member("RestoreExpiryDate", &TIMESTAMP_ISO8601),
    ]);
    static OBJECT: Shape = Shape::Structure(&[
        member("Key", &STRING),
        member("LastModified", &TIMESTAMP_ISO8601),
        member("ETag", &STRING),
        member("ChecksumAlgorithm", &CHECKSUM_ALGORITHM_LIST),
        member("ChecksumType", &STRING),
        member("Size", &LONG),
        member("StorageClass", &STRING),
        member("Owner", &OWNER),
        member("RestoreStatus", &RESTORE_STATUS),
    ]);
    static OBJECT_LIST: Shape = list(&OBJECT, "member", true);
    static COMMON_PREFIX: Shape = Shape::Structure(&[member("Prefix", &STRING)]);
    static COMMON_PREFIX_LIST: Shape = list(&COMMON_PREFIX, "member", true);
    static LIST_OBJECTS_V2_OUTPUT: Shape = Shape::Structure(&[
        member("IsTruncated", &BOOLEAN),
        member("Contents", &OBJECT_LIST),
        member("Name", &STRING),
        member("Prefix", &STRING),
        member("Delimiter", &STRING),
        member("MaxKeys", &INTEGER),
        member("CommonPrefixes", &COMMON_PREFIX_LIST),
        member("EncodingType", &STRING),
        member("KeyCount", &INTEGER),
        member("ContinuationToken", &STRING),
        member("NextContinuationToken", &STRING),
        member("StartAfter", &STRING),
    ]);
    static GET_BUCKET_TAGGING_OUTPUT: Shape = Shape::Structure(&[member("TagSet", &TAG_SET)]);
    static GET_BUCKET_ACL_OUTPUT: Shape = Shape::Structure(&[
        member("Owner", &OWNER),
        renamed("Grants", "AccessControlList", &GRANTS),
    ]);
    static GET_BUCKET_VERSIONING_OUTPUT: Shape = Shape::Structure(&[
        member("Status", &STRING),
        renamed("MFADelete", "MfaDelete", &STRING),
    ]);
    static DELETED_OBJECT: Shape = Shape::Structure(&[
        member("Key", &STRING),
        member("VersionId", &STRING),
        member("DeleteMarker", &BOOLEAN),
        member("DeleteMarkerVersionId", &STRING),
    ]);
    static DELETED_OBJECTS: Shape = list(&DELETED_OBJECT, "member", true);
    static ERROR: Shape = Shape::Structure(&[
        member("Key", &STRING),
        member("VersionId", &STRING),
        member("Code", &STRING),
        member("Message", &STRING),
    ]);
    static ERRORS: Shape = list(&ERROR, "member", true);
    static DELETE_OBJECTS_OUTPUT: Shape = Shape::Structure(&[
        member("Deleted", &DELETED_OBJECTS),
        renamed("Errors", "Error", &ERRORS),
    ]);
    static COMPLETE_MULTIPART_UPLOAD_OUTPUT: Shape = Shape::Structure(&[
        member("Location", &STRING),
        member("Bucket", &STRING),
        member("Key", &STRING),
        member("ETag", &STRING),
        member("ChecksumCRC32", &STRING),
        member("ChecksumCRC32C", &STRING),
        member("ChecksumCRC64NVME", &STRING),
        member("ChecksumSHA1", &STRING),
        member("ChecksumSHA256", &STRING),
        member("ChecksumSHA512", &STRING),
        member("ChecksumMD5", &STRING),
        member("ChecksumXXHASH64", &STRING),
        member("ChecksumXXHASH3", &STRING),
        member("ChecksumXXHASH128", &STRING),
        member("ChecksumType", &STRING),
    ]);
    static BUCKET: Shape = Shape::Structure(&[
        member("Name", &STRING),
        member("CreationDate", &TIMESTAMP_ISO8601),
        member("BucketRegion", &STRING),
        member("BucketArn", &STRING),
    ]);
    static BUCKETS: Shape = list(&BUCKET, "Bucket", false);
    static LIST_BUCKETS_OUTPUT: Shape = Shape::Structure(&[
        member("Buckets", &BUCKETS),
        member("Owner", &OWNER),
        member("ContinuationToken", &STRING),
        member("Prefix", &STRING),
    ]);
    static GET_BUCKET_LIFECYCLE_CONFIGURATION_OUTPUT: Shape =
        Shape::Structure(&[renamed("Rules", "Rule", &LIFECYCLE_RULES)]);
    static GET_BUCKET_CORS_OUTPUT: Shape =
        Shape::Structure(&[renamed("CORSRules", "CORSRule", &CORS_RULES)]);

    /// A request body botocore built, from ../shared/oracle/botocore-requests.json.
    struct OracleCase {
        operation: &'static str,
        root: &'static str,
        shape: &'static Shape,
        /// The payload member of the input, as given to botocore.
        input: &'static str,
        body: &'static str,
    }

    #[rustfmt::skip]
    static ORACLE: &[OracleCase] = &[
        OracleCase {
            operation: "PutBucketTagging",
            root: "Tagging",
            shape: &TAGGING,
            input: r#"{"TagSet": [{"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}]}"#,
            body: r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag></TagSet></Tagging>"#,
        },
        OracleCase {
            operation: "DeleteObjects",
            root: "Delete",
            shape: &DELETE,
            input: r#"{"Objects": [{"Key": "photos/2026/a b+c~é.jpg", "VersionId": "sample-VersionId", "ETag": "sample-ETag", "LastModifiedTime": "2026-01-02T03:04:05+00:00", "Size": 7}, {"Key": "photos/2026/a b+c~é.jpg", "VersionId": "sample-VersionId", "ETag": "sample-ETag", "LastModifiedTime": "2026-01-02T03:04:05+00:00", "Size": 7}], "Quiet": true}"#,
            body: r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>photos/2026/a b+c~é.jpg</Key><VersionId>sample-VersionId</VersionId><ETag>sample-ETag</ETag><LastModifiedTime>Fri, 02 Jan 2026 03:04:05 GMT</LastModifiedTime><Size>7</Size></Object><Object><Key>photos/2026/a b+c~é.jpg</Key><VersionId>sample-VersionId</VersionId><ETag>sample-ETag</ETag><LastModifiedTime>Fri, 02 Jan 2026 03:04:05 GMT</LastModifiedTime><Size>7</Size></Object><Quiet>true</Quiet></Delete>"#,
        },
        OracleCase {
            operation: "CompleteMultipartUpload",
            root: "CompleteMultipartUpload",
            shape: &COMPLETED_MULTIPART_UPLOAD,
            input: r#"{"Parts": [{"ETag": "sample-ETag", "ChecksumSHA512": "sample-ChecksumSHA512", "ChecksumMD5": "sample-ChecksumMD5", "ChecksumXXHASH64": "sample-ChecksumXXHASH64", "ChecksumXXHASH3": "sample-ChecksumXXHASH3", "ChecksumXXHASH128": "sample-ChecksumXXHASH128", "PartNumber": 7}, {"ETag": "sample-ETag", "ChecksumSHA512": "sample-ChecksumSHA512", "ChecksumMD5": "sample-ChecksumMD5", "ChecksumXXHASH64": "sample-ChecksumXXHASH64", "ChecksumXXHASH3": "sample-ChecksumXXHASH3", "ChecksumXXHASH128": "sample-ChecksumXXHASH128", "PartNumber": 7}]}"#,
            body: r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>sample-ETag</ETag><ChecksumSHA512>sample-ChecksumSHA512</ChecksumSHA512><ChecksumMD5>sample-ChecksumMD5</ChecksumMD5><ChecksumXXHASH64>sample-ChecksumXXHASH64</ChecksumXXHASH64><ChecksumXXHASH3>sample-ChecksumXXHASH3</ChecksumXXHASH3><ChecksumXXHASH128>sample-ChecksumXXHASH128</ChecksumXXHASH128><PartNumber>7</PartNumber></Part><Part><ETag>sample-ETag</ETag><ChecksumSHA512>sample-ChecksumSHA512</ChecksumSHA512><ChecksumMD5>sample-ChecksumMD5</ChecksumMD5><ChecksumXXHASH64>sample-ChecksumXXHASH64</ChecksumXXHASH64><ChecksumXXHASH3>sample-ChecksumXXHASH3</ChecksumXXHASH3><ChecksumXXHASH128>sample-ChecksumXXHASH128</ChecksumXXHASH128><PartNumber>7</PartNumber></Part></CompleteMultipartUpload>"#,
        },
        OracleCase {
            operation: "PutBucketEncryption",
            root: "ServerSideEncryptionConfiguration",
            shape: &SERVER_SIDE_ENCRYPTION_CONFIGURATION,
            input: r#"{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "sample-KMSMasterKeyID"}, "BucketKeyEnabled": true, "BlockedEncryptionTypes": {"EncryptionType": ["NONE", "NONE"]}}, {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "sample-KMSMasterKeyID"}, "BucketKeyEnabled": true, "BlockedEncryptionTypes": {"EncryptionType": ["NONE", "NONE"]}}]}"#,
            body: r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>sample-KMSMasterKeyID</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>sample-KMSMasterKeyID</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>"#,
        },
        OracleCase {
            operation: "PutBucketVersioning",
            root: "VersioningConfiguration",
            shape: &VERSIONING_CONFIGURATION,
            input: r#"{"MFADelete": "Enabled", "Status": "Enabled"}"#,
            body: r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><MfaDelete>Enabled</MfaDelete><Status>Enabled</Status></VersioningConfiguration>"#,
        },
        OracleCase {
            operation: "PutBucketAcl",
            root: "AccessControlPolicy",
            shape: &ACCESS_CONTROL_POLICY,
            input: r#"{"Grants": [{"Grantee": {"DisplayName": "sample-DisplayName", "EmailAddress": "sample-EmailAddress", "ID": "sample-ID", "Type": "CanonicalUser", "URI": "sample-URI"}, "Permission": "FULL_CONTROL"}, {"Grantee": {"DisplayName": "sample-DisplayName", "EmailAddress": "sample-EmailAddress", "ID": "sample-ID", "Type": "CanonicalUser", "URI": "sample-URI"}, "Permission": "FULL_CONTROL"}], "Owner": {"DisplayName": "sample-DisplayName", "ID": "sample-ID"}}"#,
            body: r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>sample-DisplayName</DisplayName><EmailAddress>sample-EmailAddress</EmailAddress><ID>sample-ID</ID><URI>sample-URI</URI></Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>sample-DisplayName</DisplayName><EmailAddress>sample-EmailAddress</EmailAddress><ID>sample-ID</ID><URI>sample-URI</URI></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList><Owner><DisplayName>sample-DisplayName</DisplayName><ID>sample-ID</ID></Owner></AccessControlPolicy>"#,
        },
        OracleCase {
            operation: "PutObjectRetention",
            root: "Retention",
            shape: &OBJECT_LOCK_RETENTION,
            input: r#"{"Mode": "GOVERNANCE", "RetainUntilDate": "2026-01-02T03:04:05+00:00", "EventHold": "ON", "EventHoldDuration": {"Days": 7, "Years": 7}}"#,
            body: r#"<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>2026-01-02T03:04:05Z</RetainUntilDate><EventHold>ON</EventHold><EventHoldDuration><Days>7</Days><Years>7</Years></EventHoldDuration></Retention>"#,
        },
        OracleCase {
            operation: "PutBucketCors",
            root: "CORSConfiguration",
            shape: &CORS_CONFIGURATION,
            input: r#"{"CORSRules": [{"ID": "sample-ID", "AllowedHeaders": ["0-sample-AllowedHeaders", "1-sample-AllowedHeaders"], "AllowedMethods": ["0-sample-AllowedMethods", "1-sample-AllowedMethods"], "AllowedOrigins": ["0-sample-AllowedOrigins", "1-sample-AllowedOrigins"], "ExposeHeaders": ["0-sample-ExposeHeaders", "1-sample-ExposeHeaders"], "MaxAgeSeconds": 7}, {"ID": "sample-ID", "AllowedHeaders": ["0-sample-AllowedHeaders", "1-sample-AllowedHeaders"], "AllowedMethods": ["0-sample-AllowedMethods", "1-sample-AllowedMethods"], "AllowedOrigins": ["0-sample-AllowedOrigins", "1-sample-AllowedOrigins"], "ExposeHeaders": ["0-sample-ExposeHeaders", "1-sample-ExposeHeaders"], "MaxAgeSeconds": 7}]}"#,
            body: r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>sample-ID</ID><AllowedHeader>0-sample-AllowedHeaders</AllowedHeader><AllowedHeader>1-sample-AllowedHeaders</AllowedHeader><AllowedMethod>0-sample-AllowedMethods</AllowedMethod><AllowedMethod>1-sample-AllowedMethods</AllowedMethod><AllowedOrigin>0-sample-AllowedOrigins</AllowedOrigin><AllowedOrigin>1-sample-AllowedOrigins</AllowedOrigin><ExposeHeader>0-sample-ExposeHeaders</ExposeHeader><ExposeHeader>1-sample-ExposeHeaders</ExposeHeader><MaxAgeSeconds>7</MaxAgeSeconds></CORSRule><CORSRule><ID>sample-ID</ID><AllowedHeader>0-sample-AllowedHeaders</AllowedHeader><AllowedHeader>1-sample-AllowedHeaders</AllowedHeader><AllowedMethod>0-sample-AllowedMethods</AllowedMethod><AllowedMethod>1-sample-AllowedMethods</AllowedMethod><AllowedOrigin>0-sample-AllowedOrigins</AllowedOrigin><AllowedOrigin>1-sample-AllowedOrigins</AllowedOrigin><ExposeHeader>0-sample-ExposeHeaders</ExposeHeader><ExposeHeader>1-sample-ExposeHeaders</ExposeHeader><MaxAgeSeconds>7</MaxAgeSeconds></CORSRule></CORSConfiguration>"#,
        },
        OracleCase {
            operation: "PutBucketLifecycleConfiguration",
            root: "LifecycleConfiguration",
            shape: &BUCKET_LIFECYCLE_CONFIGURATION,
            input: r#"{"Rules": [{"Expiration": {"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "ExpiredObjectDeleteMarker": true}, "ID": "sample-ID", "Prefix": "sample-Prefix", "Filter": {"Prefix": "sample-Prefix", "Tag": {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, "ObjectSizeGreaterThan": 7, "ObjectSizeLessThan": 7, "And": {"Prefix": "sample-Prefix", "Tags": [{"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}], "ObjectSizeGreaterThan": 7, "ObjectSizeLessThan": 7}}, "Status": "Enabled", "Transitions": [{"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "StorageClass": "GLACIER"}, {"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "StorageClass": "GLACIER"}], "NoncurrentVersionTransitions": [{"NoncurrentDays": 7, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 7}, {"NoncurrentDays": 7, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 7}], "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 7}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}, {"Expiration": {"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "ExpiredObjectDeleteMarker": true}, "ID": "sample-ID", "Prefix": "sample-Prefix", "Filter": {"Prefix": "sample-Prefix", "Tag": {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, "ObjectSizeGreaterThan": 7, "ObjectSizeLessThan": 7, "And": {"Prefix": "sample-Prefix", "Tags": [{"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}], "ObjectSizeGreaterThan": 7, "ObjectSizeLessThan": 7}}, "Status": "Enabled", "Transitions": [{"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "StorageClass": "GLACIER"}, {"Date": "2026-01-02T03:04:05+00:00", "Days": 7, "StorageClass": "GLACIER"}], "NoncurrentVersionTransitions": [{"NoncurrentDays": 7, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 7}, {"NoncurrentDays": 7, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 7}], "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 7}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}"#,
            body: r#"<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><Expiration><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><ID>sample-ID</ID><Prefix>sample-Prefix</Prefix><Filter><Prefix>sample-Prefix</Prefix><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><ObjectSizeGreaterThan>7</ObjectSizeGreaterThan><ObjectSizeLessThan>7</ObjectSizeLessThan><And><Prefix>sample-Prefix</Prefix><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><ObjectSizeGreaterThan>7</ObjectSizeGreaterThan><ObjectSizeLessThan>7</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Transition><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><StorageClass>GLACIER</StorageClass></Transition><NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays><StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays><StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule><Rule><Expiration><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><ID>sample-ID</ID><Prefix>sample-Prefix</Prefix><Filter><Prefix>sample-Prefix</Prefix><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><ObjectSizeGreaterThan>7</ObjectSizeGreaterThan><ObjectSizeLessThan>7</ObjectSizeLessThan><And><Prefix>sample-Prefix</Prefix><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><ObjectSizeGreaterThan>7</ObjectSizeGreaterThan><ObjectSizeLessThan>7</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Transition><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Date>2026-01-02T03:04:05Z</Date><Days>7</Days><StorageClass>GLACIER</StorageClass></Transition><NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays><StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays><StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>7</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"#,
        },
        OracleCase {
            operation: "PutBucketNotificationConfiguration",
            root: "NotificationConfiguration",
            shape: &NOTIFICATION_CONFIGURATION,
            input: r#"{"TopicConfigurations": [{"Id": "sample-Id", "TopicArn": "sample-TopicArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}, {"Id": "sample-Id", "TopicArn": "sample-TopicArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}], "QueueConfigurations": [{"Id": "sample-Id", "QueueArn": "sample-QueueArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}, {"Id": "sample-Id", "QueueArn": "sample-QueueArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}], "LambdaFunctionConfigurations": [{"Id": "sample-Id", "LambdaFunctionArn": "sample-LambdaFunctionArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}, {"Id": "sample-Id", "LambdaFunctionArn": "sample-LambdaFunctionArn", "Events": ["s3:ReducedRedundancyLostObject", "s3:ReducedRedundancyLostObject"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "sample-Value"}, {"Name": "prefix", "Value": "sample-Value"}]}}}], "EventBridgeConfiguration": {}}"#,
            body: r#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TopicConfiguration><Id>sample-Id</Id><Topic>sample-TopicArn</Topic><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></TopicConfiguration><TopicConfiguration><Id>sample-Id</Id><Topic>sample-TopicArn</Topic><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></TopicConfiguration><QueueConfiguration><Id>sample-Id</Id><Queue>sample-QueueArn</Queue><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></QueueConfiguration><QueueConfiguration><Id>sample-Id</Id><Queue>sample-QueueArn</Queue><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></QueueConfiguration><CloudFunctionConfiguration><Id>sample-Id</Id><CloudFunction>sample-LambdaFunctionArn</CloudFunction><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration><CloudFunctionConfiguration><Id>sample-Id</Id><CloudFunction>sample-LambdaFunctionArn</CloudFunction><Event>s3:ReducedRedundancyLostObject</Event><Event>s3:ReducedRedundancyLostObject</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule><FilterRule><Name>prefix</Name><Value>sample-Value</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration><EventBridgeConfiguration /></NotificationConfiguration>"#,
        },
        OracleCase {
            operation: "RestoreObject",
            root: "RestoreRequest",
            shape: &RESTORE_REQUEST,
            input: r#"{"Days": 7, "GlacierJobParameters": {"Tier": "Standard"}, "Type": "SELECT", "Tier": "Standard", "Description": "sample-Description", "SelectParameters": {"InputSerialization": {"CSV": {"FileHeaderInfo": "USE", "Comments": "sample-Comments", "QuoteEscapeCharacter": "sample-QuoteEscapeCharacter", "RecordDelimiter": "sample-RecordDelimiter", "FieldDelimiter": "sample-FieldDelimiter", "QuoteCharacter": "sample-QuoteCharacter", "AllowQuotedRecordDelimiter": true}, "CompressionType": "NONE", "JSON": {"Type": "DOCUMENT"}, "Parquet": {}}, "ExpressionType": "SQL", "Expression": "sample-Expression", "OutputSerialization": {"CSV": {"QuoteFields": "ALWAYS", "QuoteEscapeCharacter": "sample-QuoteEscapeCharacter", "RecordDelimiter": "sample-RecordDelimiter", "FieldDelimiter": "sample-FieldDelimiter", "QuoteCharacter": "sample-QuoteCharacter"}, "JSON": {"RecordDelimiter": "sample-RecordDelimiter"}}}, "OutputLocation": {"S3": {"BucketName": "example-bucket", "Prefix": "sample-Prefix", "Encryption": {"EncryptionType": "AES256", "KMSKeyId": "sample-KMSKeyId", "KMSContext": "sample-KMSContext"}, "CannedACL": "private", "AccessControlList": [{"Grantee": {"DisplayName": "sample-DisplayName", "EmailAddress": "sample-EmailAddress", "ID": "sample-ID", "Type": "CanonicalUser", "URI": "sample-URI"}, "Permission": "FULL_CONTROL"}, {"Grantee": {"DisplayName": "sample-DisplayName", "EmailAddress": "sample-EmailAddress", "ID": "sample-ID", "Type": "CanonicalUser", "URI": "sample-URI"}, "Permission": "FULL_CONTROL"}], "Tagging": {"TagSet": [{"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}, {"Key": "photos/2026/a b+c~é.jpg", "Value": "sample-Value"}]}, "UserMetadata": [{"Name": "sample-Name", "Value": "sample-Value"}, {"Name": "sample-Name", "Value": "sample-Value"}], "StorageClass": "STANDARD"}}}"#,
            body: r#"<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>7</Days><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters><Type>SELECT</Type><Tier>Standard</Tier><Description>sample-Description</Description><SelectParameters><InputSerialization><CSV><FileHeaderInfo>USE</FileHeaderInfo><Comments>sample-Comments</Comments><QuoteEscapeCharacter>sample-QuoteEscapeCharacter</QuoteEscapeCharacter><RecordDelimiter>sample-RecordDelimiter</RecordDelimiter><FieldDelimiter>sample-FieldDelimiter</FieldDelimiter><QuoteCharacter>sample-QuoteCharacter</QuoteCharacter><AllowQuotedRecordDelimiter>true</AllowQuotedRecordDelimiter></CSV><CompressionType>NONE</CompressionType><JSON><Type>DOCUMENT</Type></JSON><Parquet /></InputSerialization><ExpressionType>SQL</ExpressionType><Expression>sample-Expression</Expression><OutputSerialization><CSV><QuoteFields>ALWAYS</QuoteFields><QuoteEscapeCharacter>sample-QuoteEscapeCharacter</QuoteEscapeCharacter><RecordDelimiter>sample-RecordDelimiter</RecordDelimiter><FieldDelimiter>sample-FieldDelimiter</FieldDelimiter><QuoteCharacter>sample-QuoteCharacter</QuoteCharacter></CSV><JSON><RecordDelimiter>sample-RecordDelimiter</RecordDelimiter></JSON></OutputSerialization></SelectParameters><OutputLocation><S3><BucketName>example-bucket</BucketName><Prefix>sample-Prefix</Prefix><Encryption><EncryptionType>AES256</EncryptionType><KMSKeyId>sample-KMSKeyId</KMSKeyId><KMSContext>sample-KMSContext</KMSContext></Encryption><CannedACL>private</CannedACL><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>sample-DisplayName</DisplayName><EmailAddress>sample-EmailAddress</EmailAddress><ID>sample-ID</ID><URI>sample-URI</URI></Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>sample-DisplayName</DisplayName><EmailAddress>sample-EmailAddress</EmailAddress><ID>sample-ID</ID><URI>sample-URI</URI></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList><Tagging><TagSet><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag><Tag><Key>photos/2026/a b+c~é.jpg</Key><Value>sample-Value</Value></Tag></TagSet></Tagging><UserMetadata><MetadataEntry><Name>sample-Name</Name><Value>sample-Value</Value></MetadataEntry><MetadataEntry><Name>sample-Name</Name><Value>sample-Value</Value></MetadataEntry></UserMetadata><StorageClass>STANDARD</StorageClass></S3></OutputLocation></RestoreRequest>"#,
        },
    ];

    fn parse(json: &str) -> Value {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("bad test JSON {json}: {e}"),
        }
    }

    /// Compares including key order, which `Value`'s `==` ignores.
    #[track_caller]
    fn assert_same(actual: &Value, expected: &Value) {
        assert_eq!(actual.to_string(), expected.to_string());
    }

    fn to_xml(value: &Value, root: &str, shape: &'static Shape) -> String {
        match json_to_xml(value, root, Some(S3_NS), shape) {
            Ok(xml) => xml,
            Err(e) => panic!("{root}: {e}"),
        }
    }

    fn err(value: Value, root: &str, shape: &'static Shape) -> ShapeError {
        match json_to_xml(&value, root, Some(S3_NS), shape) {
            Ok(xml) => panic!("{value} should not fit, gave {xml}"),
            Err(e) => e,
        }
    }

    // ---- JSON → XML against botocore's requests ----------------------------------------------

    #[test]
    fn writes_botocores_bodies() {
        for case in ORACLE {
            let xml = to_xml(&parse(case.input), case.root, case.shape);
            assert_eq!(xml, case.body, "{}", case.operation);
            assert_eq!(
                check_json(&parse(case.input), case.shape),
                Ok(()),
                "{}",
                case.operation
            );
        }
    }

    #[test]
    fn botocores_bodies_read_back_and_write_again_unchanged() {
        for case in ORACLE {
            let json = xml_to_json(case.body.as_bytes(), Some(case.shape));
            assert!(json.is_object(), "{}: {json}", case.operation);
            assert_eq!(
                to_xml(&json, case.root, case.shape),
                case.body,
                "{}",
                case.operation
            );
        }
    }

    #[test]
    fn botocores_bodies_read_back_as_their_input() {
        // Timestamps aside (they come back in the wire's form), the body converts to what was given.
        for case in ORACLE
            .iter()
            .filter(|c| !c.input.contains("2026-01-02T03:04:05+00:00"))
        {
            let json = xml_to_json(case.body.as_bytes(), Some(case.shape));
            assert_eq!(json, parse(case.input), "{}", case.operation);
        }
        let retention = xml_to_json(
            br#"<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>2026-01-02T03:04:05Z</RetainUntilDate></Retention>"#,
            Some(&OBJECT_LOCK_RETENTION),
        );
        assert_same(
            &retention,
            &json!({"Mode": "GOVERNANCE", "RetainUntilDate": "2026-01-02T03:04:05Z"}),
        );
    }

    #[test]
    fn writes_members_in_shape_order_not_json_order() {
        let value = json!({"Status": "Enabled", "MFADelete": "Disabled"});
        assert_eq!(
            to_xml(&value, "VersioningConfiguration", &VERSIONING_CONFIGURATION),
            format!(
                r#"<VersioningConfiguration xmlns="{S3_NS}"><MfaDelete>Disabled</MfaDelete><Status>Enabled</Status></VersioningConfiguration>"#
            )
        );
    }

    #[test]
    fn tagging_read_from_get_bucket_tagging_writes_put_bucket_tagging() {
        let response = br#"<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <TagSet>
    <Tag><Key>env</Key><Value>prod &amp; test</Value></Tag>
  </TagSet>
</Tagging>"#;
        let json = xml_to_json(response, Some(&GET_BUCKET_TAGGING_OUTPUT));
        assert_same(
            &json,
            &json!({"TagSet": [{"Key": "env", "Value": "prod & test"}]}),
        );
        assert_eq!(
            to_xml(&json, "Tagging", &TAGGING),
            format!(
                r#"<Tagging xmlns="{S3_NS}"><TagSet><Tag><Key>env</Key><Value>prod &amp; test</Value></Tag></TagSet></Tagging>"#
            )
        );
    }

    #[test]
    fn acl_read_from_get_bucket_acl_writes_put_bucket_acl() {
        let response = br#"<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>owner-id</ID><DisplayName>me</DisplayName></Owner>
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
        <ID>owner-id</ID><DisplayName>me</DisplayName>
      </Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
        <URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>
      </Grantee>
      <Permission>READ</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>"#;
        let json = xml_to_json(response, Some(&GET_BUCKET_ACL_OUTPUT));
        assert_same(
            &json,
            &json!({
                "Owner": {"ID": "owner-id", "DisplayName": "me"},
                "Grants": [
                    {"Grantee": {"Type": "CanonicalUser", "ID": "owner-id", "DisplayName": "me"}, "Permission": "FULL_CONTROL"},
                    {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}
                ]
            }),
        );
        let xsi = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
        assert_eq!(
            to_xml(&json, "AccessControlPolicy", &ACCESS_CONTROL_POLICY),
            format!(
                r#"<AccessControlPolicy xmlns="{S3_NS}"><AccessControlList><Grant><Grantee {xsi} xsi:type="CanonicalUser"><DisplayName>me</DisplayName><ID>owner-id</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee {xsi} xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList><Owner><DisplayName>me</DisplayName><ID>owner-id</ID></Owner></AccessControlPolicy>"#
            )
        );
    }

    #[test]
    fn cors_read_from_get_bucket_cors_writes_put_bucket_cors() {
        let response = br#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let json = xml_to_json(response, Some(&GET_BUCKET_CORS_OUTPUT));
        assert_same(
            &json,
            &json!({"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 3000}]}),
        );
        let xml = to_xml(&json, "CORSConfiguration", &CORS_CONFIGURATION);
        assert_eq!(xml.as_bytes(), &response[..]);
    }

    #[test]
    fn empty_structures_lists_and_strings_are_self_closing_like_elementtree() {
        assert_eq!(
            to_xml(
                &json!({"EventBridgeConfiguration": {}}),
                "NotificationConfiguration",
                &NOTIFICATION_CONFIGURATION
            ),
            format!(
                r#"<NotificationConfiguration xmlns="{S3_NS}"><EventBridgeConfiguration /></NotificationConfiguration>"#
            )
        );
        assert_eq!(
            to_xml(&json!({"TagSet": []}), "Tagging", &TAGGING),
            format!(r#"<Tagging xmlns="{S3_NS}"><TagSet /></Tagging>"#)
        );
        assert_eq!(
            to_xml(
                &json!({"TagSet": [{"Key": "k", "Value": ""}]}),
                "Tagging",
                &TAGGING
            ),
            format!(
                r#"<Tagging xmlns="{S3_NS}"><TagSet><Tag><Key>k</Key><Value /></Tag></TagSet></Tagging>"#
            )
        );
        assert_eq!(
            to_xml(&json!({}), "Tagging", &TAGGING),
            format!(r#"<Tagging xmlns="{S3_NS}" />"#)
        );
        // An empty flattened list writes nothing at all.
        assert_eq!(
            to_xml(&json!({"Objects": [], "Quiet": false}), "Delete", &DELETE),
            format!(r#"<Delete xmlns="{S3_NS}"><Quiet>false</Quiet></Delete>"#)
        );
    }

    #[test]
    fn no_namespace_means_no_xmlns() {
        let xml = json_to_xml(
            &json!({"Status": "Suspended"}),
            "VersioningConfiguration",
            None,
            &VERSIONING_CONFIGURATION,
        );
        assert_eq!(
            xml.as_deref(),
            Ok("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>")
        );
    }

    #[test]
    fn null_members_are_left_out() {
        let value = json!({"MFADelete": null, "Status": "Enabled"});
        assert_eq!(
            to_xml(&value, "VersioningConfiguration", &VERSIONING_CONFIGURATION),
            format!(
                r#"<VersioningConfiguration xmlns="{S3_NS}"><Status>Enabled</Status></VersioningConfiguration>"#
            )
        );
    }

    #[test]
    fn escapes_text_and_attributes() {
        let value = json!({"TagSet": [{"Key": "a&b<c>d\"e'f", "Value": "é 漢 😀\ttab\nnl\rcr"}]});
        assert_eq!(
            to_xml(&value, "Tagging", &TAGGING),
            format!("<Tagging xmlns=\"{S3_NS}\"><TagSet><Tag><Key>a&amp;b&lt;c&gt;d\"e'f</Key><Value>é 漢 😀\ttab\nnl&#13;cr</Value></Tag></TagSet></Tagging>")
        );
        let grant = json!({"Grants": [{"Grantee": {"Type": "a\"b<&>\r\n\t", "ID": "x"}}]});
        let xml = to_xml(&grant, "AccessControlPolicy", &ACCESS_CONTROL_POLICY);
        assert!(
            xml.contains(r#"xsi:type="a&quot;b&lt;&amp;&gt;&#13;&#10;&#09;""#),
            "{xml}"
        );
        // And what was escaped reads back unchanged.
        assert_eq!(
            xml_to_json(xml.as_bytes(), Some(&ACCESS_CONTROL_POLICY)),
            grant
        );
        let tagging = to_xml(&value, "Tagging", &TAGGING);
        assert_eq!(xml_to_json(tagging.as_bytes(), Some(&TAGGING)), value);
    }

    #[test]
    fn converts_timestamps_to_the_members_format() {
        for given in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T05:04:05+02:00",
            "2026-01-02T03:04:05",
            "Fri, 02 Jan 2026 03:04:05 GMT",
            "1767323045",
        ] {
            let value = json!({"Objects": [{"Key": "k", "LastModifiedTime": given}]});
            let xml = to_xml(&value, "Delete", &DELETE);
            assert!(
                xml.contains("<LastModifiedTime>Fri, 02 Jan 2026 03:04:05 GMT</LastModifiedTime>"),
                "{given}: {xml}"
            );
            let value = json!({"RetainUntilDate": given});
            let xml = to_xml(&value, "Retention", &OBJECT_LOCK_RETENTION);
            assert!(
                xml.contains("<RetainUntilDate>2026-01-02T03:04:05Z</RetainUntilDate>"),
                "{given}: {xml}"
            );
        }
        // A JSON number is epoch seconds.
        let xml = to_xml(
            &json!({"RetainUntilDate": 1767323045}),
            "Retention",
            &OBJECT_LOCK_RETENTION,
        );
        assert!(
            xml.contains("<RetainUntilDate>2026-01-02T03:04:05Z</RetainUntilDate>"),
            "{xml}"
        );
        // botocore keeps microseconds when there are any.
        let xml = to_xml(
            &json!({"RetainUntilDate": "2026-01-02T03:04:05.250Z"}),
            "Retention",
            &OBJECT_LOCK_RETENTION,
        );
        assert!(
            xml.contains("<RetainUntilDate>2026-01-02T03:04:05.250000Z</RetainUntilDate>"),
            "{xml}"
        );
        static UNIX: Shape = Shape::Structure(&[member("At", &TIMESTAMP_UNIX)]);
        assert_eq!(
            json_to_xml(&json!({"At": "2026-01-02T03:04:05Z"}), "T", None, &UNIX).as_deref(),
            Ok("<T><At>1767323045</At></T>")
        );
    }

    #[test]
    fn accepts_numbers_and_booleans_written_as_strings() {
        let value = json!({"Days": "7", "GlacierJobParameters": {"Tier": "Bulk"}});
        assert!(to_xml(&value, "RestoreRequest", &RESTORE_REQUEST).contains("<Days>7</Days>"));
        let value = json!({"Days": 7.0});
        assert!(to_xml(&value, "RestoreRequest", &RESTORE_REQUEST).contains("<Days>7</Days>"));
        let value =
            json!({"Objects": [{"Key": "k", "Size": " 18446744073709551615 "}], "Quiet": "true"});
        let xml = to_xml(&value, "Delete", &DELETE);
        assert!(
            xml.contains("<Size>18446744073709551615</Size>")
                && xml.contains("<Quiet>true</Quiet>"),
            "{xml}"
        );
        static NUMBERS: Shape = Shape::Structure(&[member("D", &DOUBLE), member("B", &BLOB)]);
        let xml = json_to_xml(&json!({"D": "2.5", "B": "aGVsbG8="}), "N", None, &NUMBERS);
        assert_eq!(xml.as_deref(), Ok("<N><D>2.5</D><B>aGVsbG8=</B></N>"));
        let xml = json_to_xml(&json!({"D": -1.5e300}), "N", None, &NUMBERS);
        // As Python's str(float) writes it.
        assert_eq!(xml.as_deref(), Ok("<N><D>-1.5e+300</D></N>"));
    }

    // ---- validation ----------------------------------------------------------------------------

    #[test]
    fn wrong_types_are_errors_naming_the_path() {
        let e = err(
            json!({"TagSet": [{"Key": "a", "Value": "b"}, {"Key": 7, "Value": "c"}]}),
            "Tagging",
            &TAGGING,
        );
        assert_eq!(e.path, "Tagging.TagSet[1].Key");
        assert_eq!(e.expected, "a string");
        assert_eq!(e.found, "a number (7)");
        assert_eq!(
            e.to_string(),
            "Tagging.TagSet[1].Key: expected a string, found a number (7)"
        );

        let e = err(json!({"TagSet": {"Key": "a"}}), "Tagging", &TAGGING);
        assert_eq!(
            (e.path.as_str(), e.expected.as_str(), e.found.as_str()),
            ("Tagging.TagSet", "an array (a list)", "an object")
        );

        let e = err(json!(["x"]), "Tagging", &TAGGING);
        assert_eq!(
            (e.path.as_str(), e.expected.as_str(), e.found.as_str()),
            ("Tagging", "an object (a structure)", "an array of 1 item")
        );

        let e = err(json!({"TagSet": ["x"]}), "Tagging", &TAGGING);
        assert_eq!(
            (e.path.as_str(), e.found.as_str()),
            ("Tagging.TagSet[0]", "a string (\"x\")")
        );

        let e = err(
            json!({"Objects": [{"Key": "k", "Size": 1.5}]}),
            "Delete",
            &DELETE,
        );
        assert_eq!(
            (e.path.as_str(), e.expected.as_str()),
            ("Delete.Objects[0].Size", "an integer")
        );

        let e = err(
            json!({"Objects": [{"Key": "k", "Size": "many"}]}),
            "Delete",
            &DELETE,
        );
        assert_eq!(e.found, "a string (\"many\")");

        let e = err(json!({"Quiet": 1}), "Delete", &DELETE);
        assert_eq!(
            (e.path.as_str(), e.expected.as_str()),
            ("Delete.Quiet", "a boolean (true or false)")
        );

        let e = err(json!({"Quiet": "yes"}), "Delete", &DELETE);
        assert_eq!(e.found, "a string (\"yes\")");

        let e = err(json!({"TagSet": [null]}), "Tagging", &TAGGING);
        assert_eq!(
            (e.path.as_str(), e.found.as_str()),
            ("Tagging.TagSet[0]", "null")
        );

        let e = err(json!(null), "Tagging", &TAGGING);
        assert_eq!(
            e.to_string(),
            "Tagging: expected an object (a structure), found null"
        );
    }

    #[test]
    fn bad_timestamps_say_why() {
        let e = err(
            json!({"RetainUntilDate": "next tuesday"}),
            "Retention",
            &OBJECT_LOCK_RETENTION,
        );
        assert_eq!(e.path, "Retention.RetainUntilDate");
        assert_eq!(e.expected, "a timestamp such as 2026-01-02T03:04:05Z");
        assert!(e.found.starts_with("\"next tuesday\" ("), "{}", e.found);
        let e = err(
            json!({"RetainUntilDate": true}),
            "Retention",
            &OBJECT_LOCK_RETENTION,
        );
        assert_eq!(e.found, "a boolean (true)");
    }

    #[test]
    fn unknown_members_are_errors_with_a_suggestion() {
        let e = err(json!({"TagSte": []}), "Tagging", &TAGGING);
        assert_eq!(e.path, "Tagging.TagSte");
        assert_eq!(e.expected, "one of the members TagSet");
        assert_eq!(
            e.found,
            "an unknown member \"TagSte\" (did you mean \"TagSet\"?)"
        );

        let e = err(json!({"TagSet": [{"key": "a"}]}), "Tagging", &TAGGING);
        assert_eq!(e.path, "Tagging.TagSet[0].key");
        assert_eq!(e.to_string(), "Tagging.TagSet[0].key: expected one of the members Key, Value, found an unknown member \"key\" (did you mean \"Key\"?)");

        let e = err(json!({"Bucket": "b", "Objects": []}), "Delete", &DELETE);
        assert_eq!(e.expected, "one of the members Objects, Quiet");
        assert_eq!(e.found, "an unknown member \"Bucket\"");

        let e = err(
            json!({"EventBridgeConfiguration": {"x": 1}}),
            "NotificationConfiguration",
            &NOTIFICATION_CONFIGURATION,
        );
        assert_eq!(e.expected, "no members (this structure has none)");

        // Odd keys are quoted in the path.
        let e = err(json!({"a.b c": 1}), "Tagging", &TAGGING);
        assert_eq!(e.path, "Tagging[\"a.b c\"]");
    }

    #[test]
    fn text_xml_cannot_carry_is_an_error() {
        let e = err(
            json!({"TagSet": [{"Key": "bell\u{7}"}]}),
            "Tagging",
            &TAGGING,
        );
        assert_eq!(e.path, "Tagging.TagSet[0].Key");
        assert_eq!(
            e.found,
            "a string containing U+0007, which XML 1.0 cannot carry"
        );
        let e = err(
            json!({"TagSet": [{"Key": "\u{FFFF}"}]}),
            "Tagging",
            &TAGGING,
        );
        assert!(e.found.contains("U+FFFF"));
    }

    #[test]
    fn blobs_must_be_base64() {
        static BLOBBY: Shape = Shape::Structure(&[member("B", &BLOB)]);
        let e =
            json_to_xml(&json!({"B": "not base64!"}), "X", None, &BLOBBY).expect_err("not base64");
        assert_eq!(
            (e.path.as_str(), e.expected.as_str()),
            ("X.B", "base64 text (a blob)")
        );
    }

    #[test]
    fn check_json_shares_the_validation_with_relative_paths() {
        assert_eq!(check_json(&json!({"TagSet": []}), &TAGGING), Ok(()));
        let e = check_json(&json!({"TagSet": [{"Key": false}]}), &TAGGING).expect_err("bad key");
        assert_eq!(e.path, "TagSet[0].Key");
        assert_eq!(
            e.to_string(),
            "TagSet[0].Key: expected a string, found a boolean (false)"
        );
        let e = check_json(&json!("x"), &TAGGING).expect_err("not an object");
        assert_eq!(e.path, "");
        assert_eq!(
            e.to_string(),
            "expected an object (a structure), found a string (\"x\")"
        );
        // The same answer as json_to_xml, path prefix aside.
        for value in [
            json!({"TagSet": [{"Value": 1}]}),
            json!({"Nope": 1}),
            json!([]),
        ] {
            let a = check_json(&value, &TAGGING).expect_err("bad");
            let b = json_to_xml(&value, "Tagging", None, &TAGGING).expect_err("bad");
            assert_eq!((a.expected, a.found), (b.expected, b.found));
            assert_eq!(
                b.path.trim_start_matches("Tagging").trim_start_matches('.'),
                a.path
            );
        }
    }

    #[test]
    fn long_strings_are_cut_in_messages() {
        let e = err(
            json!({"TagSet": [{"Key": 1, "Value": "v"}], "x": "y".repeat(100)}),
            "Tagging",
            &TAGGING,
        );
        assert!(e.found.len() < 80, "{}", e.found);
        assert_eq!(quote(&"é".repeat(50)), format!("\"{}\"…", "é".repeat(40)));
    }

    #[test]
    fn maps_round_trip_wrapped_and_flattened() {
        static MAP: Shape = Shape::Map(MapShape {
            key_wire: "Name",
            value: &INTEGER,
            value_wire: "Count",
            flattened: false,
        });
        static FLAT: Shape = Shape::Map(MapShape {
            key_wire: "key",
            value: &STRING,
            value_wire: "value",
            flattened: true,
        });
        static HOLDER: Shape = Shape::Structure(&[
            member("Counts", &MAP),
            renamed("Meta", "Entry", &FLAT),
            member("After", &STRING),
        ]);
        let value =
            json!({"Counts": {"a&b": 1, "c": 2}, "Meta": {"x": "1", "y": ""}, "After": "z"});
        let xml = json_to_xml(&value, "H", None, &HOLDER).expect("fits");
        assert_eq!(
            xml,
            "<H><Counts><entry><Name>a&amp;b</Name><Count>1</Count></entry><entry><Name>c</Name><Count>2</Count></entry></Counts><Entry><key>x</key><value>1</value></Entry><Entry><key>y</key><value /></Entry><After>z</After></H>"
        );
        assert_same(&xml_to_json(xml.as_bytes(), Some(&HOLDER)), &value);
        let e =
            json_to_xml(&json!({"Counts": {"a": "x"}}), "H", None, &HOLDER).expect_err("bad count");
        assert_eq!(e.path, "H.Counts.a");
        let e = json_to_xml(&json!({"Counts": []}), "H", None, &HOLDER).expect_err("not a map");
        assert_eq!(e.expected, "an object (a map)");
    }

    // ---- XML → JSON ------------------------------------------------------------------------------

    #[test]
    fn empty_body_is_null_and_non_xml_is_a_string() {
        assert_eq!(xml_to_json(b"", None), Value::Null);
        assert_eq!(xml_to_json(b" \r\n\t", Some(&TAGGING)), Value::Null);
        assert_eq!(xml_to_json(b"\xEF\xBB\xBF", None), Value::Null);
        assert_eq!(xml_to_json(b"True", Some(&TAGGING)), json!("True"));
        for bad in [
            &b"<a>"[..],
            b"<a></b>",
            b"<a/><b/>",
            b"<a>&bogus;</a>",
            b"<a>&amp</a>",
            b"text<a/>",
            b"<a/>text",
            b"<a x='1' x='2'/>",
            b"<a x=1/>",
            b"<a>\xff</a>",
            b"<?xml version=\"1.0\"?>",
            b"</a>",
            b"<a><!-- unclosed",
            b"{\"json\": true}",
        ] {
            let got = xml_to_json(bad, Some(&TAGGING));
            assert_eq!(
                got,
                Value::String(String::from_utf8_lossy(bad).into_owned()),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn error_root_keeps_its_name_and_plain_rules() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId/></Error>"#;
        let expected = json!({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "a/b", "RequestId": "4442587FB7D0A2F9", "HostId": ""}});
        assert_same(
            &xml_to_json(body, Some(&COMPLETE_MULTIPART_UPLOAD_OUTPUT)),
            &expected,
        );
        assert_same(&xml_to_json(body, None), &expected);
        assert_same(&xml_to_json(b"<Error/>", None), &json!({"Error": ""}));
    }

    #[test]
    fn delete_result_errors_are_a_list_not_an_error_body() {
        let body = br#"<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key><DeleteMarker>true</DeleteMarker></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"#;
        assert_same(
            &xml_to_json(body, Some(&DELETE_OBJECTS_OUTPUT)),
            &json!({"Deleted": [{"Key": "a", "DeleteMarker": true}], "Errors": [{"Key": "b", "Code": "AccessDenied", "Message": "Access Denied"}]}),
        );
    }

    #[test]
    fn shape_comes_from_the_operation_not_the_root_name() {
        // moto's answer to get-bucket-versioning.
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<GetBucketVersioningResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></GetBucketVersioningResponse>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_VERSIONING_OUTPUT)),
            &json!({"Status": "Enabled", "MFADelete": "Disabled"}),
        );
        // Never enabled: an empty root is an empty object.
        let body = br#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_VERSIONING_OUTPUT)),
            &json!({}),
        );
    }

    const LIST_PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>example-bucket</Name><Prefix>photos/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><Contents><Key>photos/a &amp; b.jpg</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>photos/é.jpg</Key><LastModified>2026-01-02T03:04:06.000Z</LastModified><ETag>"abc-2"</ETag><Size>10485760</Size><Owner><ID>id</ID></Owner><StorageClass>STANDARD</StorageClass><x-minio-extra>1</x-minio-extra></Contents><CommonPrefixes><Prefix>photos/2026/</Prefix></CommonPrefixes></ListBucketResult>"#;

    fn list_page_json() -> Value {
        json!({
            "Name": "example-bucket",
            "Prefix": "photos/",
            "KeyCount": 2,
            "MaxKeys": 1000,
            "Delimiter": "/",
            "IsTruncated": false,
            "Contents": [
                {"Key": "photos/a & b.jpg", "LastModified": "2026-01-02T03:04:05.000Z", "ETag": "\"d41d8cd98f00b204e9800998ecf8427e\"", "ChecksumAlgorithm": ["CRC32"], "Size": 0, "StorageClass": "STANDARD"},
                {"Key": "photos/é.jpg", "LastModified": "2026-01-02T03:04:06.000Z", "ETag": "\"abc-2\"", "Size": 10485760, "Owner": {"ID": "id"}, "StorageClass": "STANDARD", "x-minio-extra": "1"}
            ],
            "CommonPrefixes": [{"Prefix": "photos/2026/"}]
        })
    }

    #[test]
    fn list_objects_v2_page() {
        assert_same(
            &xml_to_json(LIST_PAGE.as_bytes(), Some(&LIST_OBJECTS_V2_OUTPUT)),
            &list_page_json(),
        );
    }

    #[test]
    fn pretty_printed_bodies_convert_the_same() {
        let pretty = LIST_PAGE.replace("><", ">\n    <");
        // Leaves keep their exact text; only the whitespace between elements changed.
        assert_same(
            &xml_to_json(pretty.as_bytes(), Some(&LIST_OBJECTS_V2_OUTPUT)),
            &list_page_json(),
        );
    }

    #[test]
    fn one_item_and_no_items_are_still_arrays() {
        let one = br#"<ListBucketResult><Contents><Key>only</Key></Contents></ListBucketResult>"#;
        assert_same(
            &xml_to_json(one, Some(&LIST_OBJECTS_V2_OUTPUT)),
            &json!({"Contents": [{"Key": "only"}]}),
        );
        let empty = br#"<Tagging><TagSet/></Tagging>"#;
        assert_same(
            &xml_to_json(empty, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"TagSet": []}),
        );
        let empty = br#"<Tagging><TagSet>
        </TagSet></Tagging>"#;
        assert_same(
            &xml_to_json(empty, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"TagSet": []}),
        );
        let buckets = br#"<ListAllMyBucketsResult><Buckets><Bucket><Name>b1</Name><CreationDate>2026-01-02T03:04:05.000Z</CreationDate></Bucket></Buckets><Owner><ID>o</ID></Owner></ListAllMyBucketsResult>"#;
        assert_same(
            &xml_to_json(buckets, Some(&LIST_BUCKETS_OUTPUT)),
            &json!({"Buckets": [{"Name": "b1", "CreationDate": "2026-01-02T03:04:05.000Z"}], "Owner": {"ID": "o"}}),
        );
    }

    #[test]
    fn wrapped_list_items_may_have_another_name() {
        let body = br#"<Tagging><TagSet><member><Key>k</Key></member><Tag><Key>l</Key></Tag></TagSet></Tagging>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"TagSet": [{"Key": "k"}, {"Key": "l"}]}),
        );
    }

    #[test]
    fn text_that_is_not_the_declared_type_is_kept() {
        let body = br#"<R><KeyCount>lots</KeyCount><MaxKeys> 5 </MaxKeys><IsTruncated>maybe</IsTruncated><Contents><Size>99999999999999999999</Size></Contents><Contents><Size>18446744073709551615</Size></Contents><Contents><Size>-3</Size></Contents><Contents><Size/></Contents></R>"#;
        assert_same(
            &xml_to_json(body, Some(&LIST_OBJECTS_V2_OUTPUT)),
            &json!({"KeyCount": "lots", "MaxKeys": 5, "IsTruncated": "maybe", "Contents": [{"Size": "99999999999999999999"}, {"Size": 18446744073709551615u64}, {"Size": -3}, {"Size": ""}]}),
        );
        static NUMBERS: Shape = Shape::Structure(&[member("D", &DOUBLE), member("B", &BOOLEAN)]);
        let body =
            b"<N><D>2.5</D><D>7</D><D>NaN</D><D>inf</D><D>1e400</D><B>TRUE</B><B> false </B></N>";
        assert_same(
            &xml_to_json(body, Some(&NUMBERS)),
            &json!({"D": [2.5, 7, "NaN", "inf", "1e400"], "B": [true, false]}),
        );
    }

    #[test]
    fn entities_cdata_and_character_references_are_decoded() {
        let body = br#"<Tagging><TagSet><Tag><Key>a&amp;b&lt;c&gt;d&quot;e&apos;f&#233;&#x6F22;<![CDATA[<raw & stuff>]]>!</Key><Value><![CDATA[]]></Value></Tag></TagSet></Tagging>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"TagSet": [{"Key": "a&b<c>d\"e'fé漢<raw & stuff>!", "Value": ""}]}),
        );
    }

    #[test]
    fn namespace_prefixes_are_ignored_and_xmlns_never_shows() {
        let body = br#"<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/" xmlns:x="urn:x"><s3:Name>b</s3:Name><s3:Contents><s3:Key>k</s3:Key></s3:Contents><x:Extra x:attr="1">e</x:Extra></s3:ListBucketResult>"#;
        assert_same(
            &xml_to_json(body, Some(&LIST_OBJECTS_V2_OUTPUT)),
            &json!({"Name": "b", "Contents": [{"Key": "k"}], "Extra": "e"}),
        );
        assert_same(
            &xml_to_json(body, None),
            &json!({"Name": "b", "Contents": {"Key": "k"}, "Extra": "e"}),
        );
    }

    #[test]
    fn attributes_match_by_name_or_local_name() {
        let body = br#"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Group" other="x"><URI>u</URI></Grantee></Grant></AccessControlList></AccessControlPolicy>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_ACL_OUTPUT)),
            &json!({"Grants": [{"Grantee": {"Type": "Group", "URI": "u"}}]}),
        );
        let body = br#"<A><AccessControlList><Grant><Grantee xsi:type="A&amp;B"/></Grant></AccessControlList></A>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_ACL_OUTPUT)),
            &json!({"Grants": [{"Grantee": {"Type": "A&B"}}]}),
        );
    }

    #[test]
    fn plain_rules_without_a_shape() {
        let body = br#"<?xml version="1.0"?><!-- note --><R><a>1</a><b><c>x</c><c>y</c><c><d/></c></b><a>2</a><e/><f>  </f><a>3</a></R>"#;
        assert_same(
            &xml_to_json(body, None),
            &json!({"a": ["1", "2", "3"], "b": {"c": ["x", "y", {"d": ""}]}, "e": "", "f": "  "}),
        );
        assert_same(&xml_to_json(b"<R>just text</R>", None), &json!("just text"));
        assert_same(&xml_to_json(b"<R/>", None), &json!(""));
    }

    #[test]
    fn unknown_elements_fall_back_to_the_plain_rules() {
        let body = br#"<Tagging><Ext><v>1</v><v>2</v></Ext><TagSet><Tag><Key>k</Key><Extra>x</Extra><Extra>y</Extra></Tag></TagSet></Tagging>"#;
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"Ext": {"v": ["1", "2"]}, "TagSet": [{"Key": "k", "Extra": ["x", "y"]}]}),
        );
    }

    #[test]
    fn repeated_scalar_members_keep_every_value() {
        let body = b"<R><Name>a</Name><Name>b</Name></R>";
        assert_same(
            &xml_to_json(body, Some(&LIST_OBJECTS_V2_OUTPUT)),
            &json!({"Name": ["a", "b"]}),
        );
        let body = b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet><TagSet><Tag><Key>b</Key></Tag></TagSet></Tagging>";
        assert_same(
            &xml_to_json(body, Some(&GET_BUCKET_TAGGING_OUTPUT)),
            &json!({"TagSet": [{"Key": "a"}, {"Key": "b"}]}),
        );
    }

    #[test]
    fn text_where_a_shape_expects_children_is_kept() {
        // GetBucketLocation's body is a single element with text.
        static LOCATION: Shape = Shape::Structure(&[member("LocationConstraint", &STRING)]);
        let body = br#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#;
        assert_same(&xml_to_json(body, Some(&LOCATION)), &json!("eu-west-1"));
        assert_same(&xml_to_json(body, Some(&STRING)), &json!("eu-west-1"));
        let empty = br#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#;
        assert_same(&xml_to_json(empty, Some(&STRING)), &json!(""));
        assert_same(
            &xml_to_json(
                b"<Tagging><TagSet>odd</TagSet></Tagging>",
                Some(&GET_BUCKET_TAGGING_OUTPUT),
            ),
            &json!({"TagSet": ["odd"]}),
        );
    }

    #[test]
    fn keys_keep_document_order() {
        let body = b"<R><z>1</z><a>2</a><m>3</m></R>";
        assert_eq!(
            xml_to_json(body, None).to_string(),
            r#"{"z":"1","a":"2","m":"3"}"#
        );
        let body = b"<R><KeyCount>1</KeyCount><Name>n</Name><Contents><Key>k</Key></Contents><Prefix>p</Prefix><Contents><Key>l</Key></Contents></R>";
        assert_eq!(
            xml_to_json(body, Some(&LIST_OBJECTS_V2_OUTPUT)).to_string(),
            r#"{"KeyCount":1,"Name":"n","Contents":[{"Key":"k"},{"Key":"l"}],"Prefix":"p"}"#
        );
    }

    #[test]
    fn prolog_and_epilog_are_skipped() {
        let body = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE R>\n<!-- c --><?pi x?>\n<R><a>1</a></R>\n<!-- after -->\n";
        assert_same(&xml_to_json(body, None), &json!({"a": "1"}));
    }

    #[test]
    fn deep_nesting_is_carried_as_a_string() {
        let mut body = "<a>".repeat(100_000);
        body.push_str(&"</a>".repeat(100_000));
        assert_eq!(
            xml_to_json(body.as_bytes(), None),
            Value::String(body.clone())
        );
        let deepest = format!("{}x{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(xml_to_json(deepest.as_bytes(), None).is_object());
        let too_deep = format!("<a>{deepest}</a>");
        assert!(xml_to_json(too_deep.as_bytes(), None).is_string());
    }

    #[test]
    fn a_thousand_key_page_converts() {
        let mut body = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>1000</KeyCount>"#,
        );
        for i in 0..1000 {
            body.push_str(&format!("<Contents><Key>dir/key-{i:05}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;{i:032x}&quot;</ETag><Size>{i}</Size><StorageClass>STANDARD</StorageClass></Contents>"));
        }
        body.push_str("</ListBucketResult>");
        let json = xml_to_json(body.as_bytes(), Some(&LIST_OBJECTS_V2_OUTPUT));
        let contents = json["Contents"].as_array().expect("array");
        assert_eq!(contents.len(), 1000);
        assert_eq!(contents[999]["Key"], "dir/key-00999");
        assert_eq!(contents[999]["Size"], 999);
    }

    // ---- properties ------------------------------------------------------------------------------

    static RT_LABELS: Shape = list(&STRING, "member", true);
    static RT_SIZES: Shape = list(&LONG, "Size", false);
    static RT_CHILDREN: Shape = list(&RT_NODE, "Node", false);
    static RT_LINKS: Shape = list(&RT_NODE, "member", true);
    static RT_COUNTS: Shape = Shape::Map(MapShape {
        key_wire: "key",
        value: &INTEGER,
        value_wire: "value",
        flattened: false,
    });
    /// A recursive shape using every kind of member.
    static RT_NODE: Shape = Shape::Structure(&[
        attribute("Kind", "xsi:kind", &STRING),
        member("Name", &STRING),
        member("Count", &INTEGER),
        member("Big", &LONG),
        member("Enabled", &BOOLEAN),
        member("Ratio", &DOUBLE),
        member("When", &TIMESTAMP_ISO8601),
        renamed("Labels", "Label", &RT_LABELS),
        member("Sizes", &RT_SIZES),
        member("Tags", &TAG_SET),
        namespaced(
            "Grantee",
            "Grantee",
            &GRANTEE,
            Some("xsi"),
            "http://www.w3.org/2001/XMLSchema-instance",
        ),
        member("Children", &RT_CHILDREN),
        renamed("Links", "Link", &RT_LINKS),
        member("Counts", &RT_COUNTS),
    ]);

    fn text() -> BoxedStrategy<String> {
        "[a-zA-Z0-9 &<>\"';#=/é漢😀\t\n\r]{0,12}".boxed()
    }

    /// JSON values that fit `shape` and that XML can carry back unchanged (a flattened list is never
    /// empty: an empty one writes nothing, which reads back as no member at all).
    fn fitting(shape: &'static Shape, depth: u32) -> BoxedStrategy<Value> {
        match shape {
            Shape::String | Shape::Blob => text().prop_map(Value::String).boxed(),
            Shape::Integer => any::<i32>().prop_map(Value::from).boxed(),
            Shape::Long => prop_oneof![
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from)
            ]
            .boxed(),
            Shape::Float | Shape::Double => prop_oneof![
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
            ]
            .boxed(),
            Shape::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
            Shape::Timestamp(_) => (0i64..253_402_300_799)
                .prop_map(|secs| {
                    let t = time::OffsetDateTime::from_unix_timestamp(secs)
                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                    Value::String(format_timestamp(t, TimestampFormat::Iso8601))
                })
                .boxed(),
            Shape::List(list) => {
                let max = if depth == 0 { 0 } else { 3 };
                prop::collection::vec(fitting(list.member, depth.saturating_sub(1)), 0..=max)
                    .prop_map(Value::Array)
                    .boxed()
            }
            Shape::Map(map) => {
                let max = if depth == 0 { 0 } else { 3 };
                prop::collection::btree_map(
                    text(),
                    fitting(map.value, depth.saturating_sub(1)),
                    0..=max,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect()))
                .boxed()
            }
            Shape::Structure(fields) => {
                let members: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                    .iter()
                    .map(|field| {
                        let compound = matches!(
                            field.shape,
                            Shape::Structure(_) | Shape::List(_) | Shape::Map(_)
                        );
                        if compound && depth == 0 {
                            return Just(None).boxed();
                        }
                        let value = match field.shape {
                            Shape::List(list) if list.flattened => {
                                prop::collection::vec(fitting(list.member, depth - 1), 1..=3)
                                    .prop_map(Value::Array)
                                    .boxed()
                            }
                            shape => fitting(shape, depth.saturating_sub(1)),
                        };
                        prop::option::of(value.prop_map(move |v| (field.name.to_owned(), v)))
                            .boxed()
                    })
                    .collect();
                members
                    .prop_map(|m| Value::Object(m.into_iter().flatten().collect()))
                    .boxed()
            }
        }
    }

    /// A well-formed element tree, for checking the plain rules against a direct definition.
    #[derive(Debug, Clone)]
    enum Node {
        Element(&'static str, Vec<Node>, bool),
        Text(String),
    }

    fn tree(depth: u32) -> BoxedStrategy<Node> {
        let name = prop::sample::select(vec!["a", "b", "Key", "Error", "x:c"]);
        let leaf = prop_oneof![
            "[a-z &<>\"'é\r\n]{0,6}".prop_map(Node::Text),
            (name.clone(), any::<bool>()).prop_map(|(n, cdata)| Node::Element(
                n,
                Vec::new(),
                cdata
            )),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            1 => leaf,
            2 => (name, prop::collection::vec(tree(depth - 1), 0..4), any::<bool>())
                .prop_map(|(n, children, cdata)| Node::Element(n, children, cdata)),
        ]
        .boxed()
    }

    fn render(node: &Node, out: &mut String, cdata: bool) {
        match node {
            Node::Text(t) if cdata => {
                out.push_str("<![CDATA[");
                out.push_str(t);
                out.push_str("]]>");
            }
            Node::Text(t) => escape_text(out, t),
            Node::Element(name, children, as_cdata) => {
                let ns = if name.contains(':') {
                    " xmlns:x=\"urn:x\""
                } else {
                    ""
                };
                if children.is_empty() && *as_cdata {
                    out.push_str(&format!("<{name}{ns}/>"));
                    return;
                }
                out.push_str(&format!("<{name}{ns}>"));
                for child in children {
                    render(child, out, *as_cdata);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
    }

    /// The plain rules, stated directly on the tree.
    fn plain_json(children: &[Node]) -> Value {
        let elements: Vec<(&str, &[Node])> = children
            .iter()
            .filter_map(|c| match c {
                Node::Element(name, kids, _) => Some((local_part(name), kids.as_slice())),
                Node::Text(_) => None,
            })
            .collect();
        if elements.is_empty() {
            let text: String = children
                .iter()
                .map(|c| match c {
                    Node::Text(t) => t.as_str(),
                    Node::Element(..) => "",
                })
                .collect();
            return Value::String(text);
        }
        let mut map = Map::new();
        for (name, kids) in elements {
            insert_repeated(&mut map, name.to_owned(), plain_json(kids));
        }
        Value::Object(map)
    }

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        let token = prop::sample::select(vec![
            "<a>",
            "</a>",
            "<b/>",
            "<Tag>",
            "</Tag>",
            "<TagSet>",
            "</TagSet>",
            "<Key>",
            "</Key>",
            "<Error>",
            "</Error>",
            "<Contents>",
            "</Contents>",
            "<Size>",
            "</Size>",
            "<IsTruncated>",
            "</IsTruncated>",
            "<Grantee xsi:type=\"T\">",
            "<Grantee xsi:type='&amp;'>",
            "</Grantee>",
            "<s3:Name xmlns:s3='u'>",
            "</s3:Name>",
            "<Counts>",
            "</Counts>",
            "<entry>",
            "</entry>",
            "<key>",
            "</key>",
            "<value>",
            "</value>",
            "text",
            "12",
            "-3",
            "true",
            " ",
            "\n",
            "&amp;",
            "&lt;",
            "&#233;",
            "&#xFFFFFFFF;",
            "&bogus;",
            "&",
            "<![CDATA[x]]>",
            "<![CDATA[",
            "]]>",
            "<!-- c -->",
            "<!--",
            "<?pi?>",
            "<?xml version='1.0'?>",
            "<!DOCTYPE a>",
            "<",
            ">",
            "/>",
            "\"",
            "'",
            "=",
            "\u{0}",
            "é",
            "\u{FEFF}",
        ]);
        prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat().into_bytes())
    }

    const SHAPES: [Option<&'static Shape>; 6] = [
        None,
        Some(&LIST_OBJECTS_V2_OUTPUT),
        Some(&GET_BUCKET_ACL_OUTPUT),
        Some(&GET_BUCKET_TAGGING_OUTPUT),
        Some(&RT_NODE),
        Some(&STRING),
    ];

    proptest! {
        #[test]
        fn json_to_xml_then_back_is_the_same_json(value in fitting(&RT_NODE, 3)) {
            prop_assert_eq!(check_json(&value, &RT_NODE), Ok(()));
            let xml = json_to_xml(&value, "Root", Some(S3_NS), &RT_NODE).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = xml_to_json(xml.as_bytes(), Some(&RT_NODE));
            prop_assert_eq!(&back, &value, "{}", xml);
            // And writing it again gives the same bytes.
            let again = json_to_xml(&back, "Root", Some(S3_NS), &RT_NODE).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again, xml);
        }

        #[test]
        fn s3_shapes_round_trip(value in fitting(&LIFECYCLE_RULE, 3), tags in fitting(&TAGGING, 3)) {
            let rules = json!({"Rules": [value]});
            let xml = to_xml(&rules, "LifecycleConfiguration", &BUCKET_LIFECYCLE_CONFIGURATION);
            prop_assert_eq!(xml_to_json(xml.as_bytes(), Some(&GET_BUCKET_LIFECYCLE_CONFIGURATION_OUTPUT)), rules);
            let xml = to_xml(&tags, "Tagging", &TAGGING);
            prop_assert_eq!(xml_to_json(xml.as_bytes(), Some(&GET_BUCKET_TAGGING_OUTPUT)), tags);
        }

        #[test]
        fn plain_rules_hold_for_well_formed_trees(root in tree(4), pretty in any::<bool>()) {
            let Node::Element(name, children, _) = &root else { return Ok(()) };
            let mut xml = String::from(if pretty { "<?xml version=\"1.0\"?>\n" } else { "" });
            render(&root, &mut xml, false);
            let inner = plain_json(children);
            let expected = if local_part(name) == "Error" {
                json!({"Error": inner})
            } else {
                inner
            };
            prop_assert_eq!(xml_to_json(xml.as_bytes(), None).to_string(), expected.to_string(), "{}", xml);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
            for shape in SHAPES {
                let _ = xml_to_json(&body, shape);
            }
        }

        #[test]
        fn never_panics_on_element_soup(body in soup()) {
            let blank = body.strip_prefix(UTF8_BOM).unwrap_or(&body).iter().all(u8::is_ascii_whitespace);
            for shape in SHAPES {
                // Only a blank body is null: anything else is converted or carried as a string.
                prop_assert_eq!(xml_to_json(&body, shape).is_null(), blank);
            }
        }

        #[test]
        fn check_json_never_panics(value in arbitrary_json(3)) {
            for shape in [&RT_NODE, &TAGGING, &DELETE, &ACCESS_CONTROL_POLICY] {
                let checked = check_json(&value, shape);
                let written = json_to_xml(&value, "R", None, shape);
                prop_assert_eq!(checked.is_ok(), written.is_ok());
                if let Ok(xml) = written {
                    // Whatever validates is well-formed XML that converts without falling back.
                    prop_assert!(xml_to_json(xml.as_bytes(), Some(shape)).is_object(), "{}", xml);
                }
            }
        }
    }

    fn arbitrary_json(depth: u32) -> BoxedStrategy<Value> {
        let names = prop::sample::select(vec![
            "TagSet", "Key", "Value", "Name", "Objects", "Quiet", "Grants", "Grantee", "Type",
            "Count", "Children", "Kind", "Labels", "x",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
            Just(json!("2026-01-02T03:04:05Z")),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            leaf,
            prop::collection::vec(arbitrary_json(depth - 1), 0..3).prop_map(Value::Array),
            prop::collection::vec((names, arbitrary_json(depth - 1)), 0..4).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
        .boxed()
    }
}
