//! The runtime form of the spec's shapes: what the envelope converter, the request builder and the CLI
//! need to know about a value's structure (which elements are lists, which are numbers, booleans or
//! timestamps, what each member is called on the wire). build.rs emits one `static` per spec shape and
//! one [`Operation`](crate::operation::Operation) per spec operation; nothing here knows about HTTP or XML parsing itself.

/// How a timestamp is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    /// `2026-01-02T03:04:05Z` (S3's default in XML bodies and query strings).
    Iso8601,
    /// `Fri, 02 Jan 2026 03:04:05 GMT` (S3's default in headers).
    Rfc822,
    /// Seconds since the Unix epoch.
    UnixTimestamp,
}

/// The structure of a value, as the spec describes it.
#[derive(Debug)]
pub enum Shape {
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp(TimestampFormat),
    /// Raw bytes (base64 inside XML; a file or stream as a payload).
    Blob,
    Structure(&'static [Field]),
    List(ListShape),
    Map(MapShape),
}

/// One member of a structure.
#[derive(Debug)]
pub struct Field {
    /// The S3 API's member name (`TagSet`), used as the JSON key.
    pub name: &'static str,
    /// The XML element (or attribute) name (`Tag`, `xsi:type`).
    pub wire: &'static str,
    pub shape: &'static Shape,
    /// Carried as an XML attribute of the parent element rather than a child element.
    pub attribute: bool,
    /// The namespace declared on this member's element, if the spec gives one (`xmlns:xsi` for `Grantee`).
    pub namespace: Option<Namespace>,
}

/// An XML namespace declaration: `xmlns[:prefix]="uri"`.
#[derive(Debug, Clone, Copy)]
pub struct Namespace {
    pub prefix: Option<&'static str>,
    pub uri: &'static str,
}

/// A list. Wrapped lists (`<TagSet><Tag/>…</TagSet>`) name each item `member_wire`; flattened lists
/// repeat the item element directly in the parent, named by the parent's field wire name.
#[derive(Debug)]
pub struct ListShape {
    pub member: &'static Shape,
    pub member_wire: &'static str,
    pub flattened: bool,
}

/// A map: `<entry><key/><value/></entry>` items (or flattened), keys always strings.
#[derive(Debug)]
pub struct MapShape {
    pub key_wire: &'static str,
    pub value: &'static Shape,
    pub value_wire: &'static str,
    pub flattened: bool,
}

impl Shape {
    /// The fields of a structure shape, empty for anything else.
    pub fn fields(&self) -> &'static [Field] {
        match self {
            Shape::Structure(fields) => fields,
            _ => &[],
        }
    }

    /// A field of a structure by its API name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// A short human name of the kind of value this shape takes, for error messages and docs.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Shape::String => "string",
            Shape::Integer | Shape::Long => "integer",
            Shape::Float | Shape::Double => "number",
            Shape::Boolean => "boolean",
            Shape::Timestamp(_) => "timestamp",
            Shape::Blob => "blob",
            Shape::Structure(_) => "structure",
            Shape::List(_) => "list",
            Shape::Map(_) => "map",
        }
    }
}
