//! The Rust generator: turns the spec into the library's static tables (one `static` per shape and per
//! operation, and the `OPERATIONS` list the CLI walks) and one typed, fluent request builder per
//! operation with a constructor method on `Client`: typed setters (the `s3op::types` of each member's
//! shape, with a `…_json` setter beside structures, lists and maps), `send`, `send_typed` and, for
//! listings, `pages`/`typed_pages`. Token streams are built with `quote` and formatted
//! with `prettyplease`, so the output reads like handwritten code.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::names::{kebab, rust_field, screaming};
use crate::spec::{Field, Location, Member, Operation, ShapeDef, Spec};

/// The whole generated module: shapes, operations, builders, formatted.
pub fn generate(spec: &Spec) -> String {
    let mut items = Vec::new();
    let mut shapes = ShapeEmitter::new(spec);
    let ops: Vec<TokenStream> = spec
        .operations
        .iter()
        .map(|op| operation(spec, op, &mut shapes))
        .collect();
    items.push(shapes.finish());
    items.extend(ops);
    let list: Vec<_> = spec
        .operations
        .iter()
        .map(|op| format_ident!("{}", screaming(&op.name)))
        .collect();
    items.push(quote! {
        #[doc = " Every operation in the spec, sorted by S3 API name."]
        pub static OPERATIONS: &[&Operation] = &[#(&#list),*];
    });
    format_file(quote! { #(#items)* })
}

/// The generated code of a few operations alone (for the snapshot test), formatted.
pub fn generate_operations(spec: &Spec, names: &[&str]) -> String {
    let mut shapes = ShapeEmitter::new(spec);
    let ops: Vec<TokenStream> = spec
        .operations
        .iter()
        .filter(|op| names.contains(&op.name.as_str()))
        .map(|op| operation(spec, op, &mut shapes))
        .collect();
    format_file(quote! { #(#ops)* })
}

/// `#[doc]` attributes, one per line, each starting with a space so they print as `/// text`.
fn doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    quote! { #(#[doc = #lines])* }
}

fn format_file(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("generated code does not parse: {e}"),
    }
}

/// Emits each shape once, as a `static`, and hands out references to it. Scalars are inline
/// (`&Shape::String`); a flattened use of a wrapped list gets its own flattened static.
struct ShapeEmitter<'s> {
    spec: &'s Spec,
    emitted: BTreeMap<String, TokenStream>,
}

impl<'s> ShapeEmitter<'s> {
    fn new(spec: &'s Spec) -> Self {
        ShapeEmitter {
            spec,
            emitted: BTreeMap::new(),
        }
    }

    fn finish(self) -> TokenStream {
        let items = self.emitted.into_values();
        quote! { #(#items)* }
    }

    /// A `&'static Shape` expression for a shape reference.
    fn reference(
        &mut self,
        shape: &str,
        timestamp_format: Option<&str>,
        flattened: bool,
    ) -> TokenStream {
        match shape {
            "string" => quote!(&Shape::String),
            "integer" => quote!(&Shape::Integer),
            "long" => quote!(&Shape::Long),
            "float" => quote!(&Shape::Float),
            "double" => quote!(&Shape::Double),
            "boolean" => quote!(&Shape::Boolean),
            "blob" => quote!(&Shape::Blob),
            "timestamp" => {
                let fmt = timestamp_format_tokens(timestamp_format);
                quote!(&Shape::Timestamp(#fmt))
            }
            name => {
                let Some(def) = self.spec.shapes.get(name) else {
                    panic!("spec: unknown shape {name:?}");
                };
                if matches!(def, ShapeDef::Enum { .. }) {
                    // An enumeration travels as a plain string; its values are documentation.
                    return quote!(&Shape::String);
                }
                let list_flattened = matches!(
                    def,
                    ShapeDef::List {
                        flattened: true,
                        ..
                    }
                );
                let variant = flattened && !list_flattened;
                let key = if variant {
                    format!("{name}+flattened")
                } else {
                    name.to_string()
                };
                let ident = if variant {
                    format_ident!("SHAPE_{}_FLATTENED", screaming(name))
                } else {
                    format_ident!("SHAPE_{}", screaming(name))
                };
                if !self.emitted.contains_key(&key) {
                    // Reserve first: shapes may refer to themselves.
                    self.emitted.insert(key.clone(), TokenStream::new());
                    let body = self.definition(name, def, variant);
                    let doc = doc(&format!("Shape `{name}` from spec/shapes.toml."));
                    self.emitted
                        .insert(key, quote! { #doc pub static #ident: Shape = #body; });
                }
                quote!(&#ident)
            }
        }
    }

    fn definition(&mut self, _name: &str, def: &ShapeDef, force_flattened: bool) -> TokenStream {
        match def {
            ShapeDef::Structure { members, .. } => {
                let fields: Vec<TokenStream> = members.iter().map(|f| self.field(f)).collect();
                quote!(Shape::Structure(&[#(#fields),*]))
            }
            ShapeDef::List {
                member,
                member_wire,
                flattened,
                timestamp_format,
            } => {
                let member = self.reference(member, timestamp_format.as_deref(), false);
                let flattened = *flattened || force_flattened;
                quote!(Shape::List(ListShape { member: #member, member_wire: #member_wire, flattened: #flattened }))
            }
            ShapeDef::Map {
                value,
                key_wire,
                value_wire,
                flattened,
            } => {
                let value = self.reference(value, None, false);
                quote!(Shape::Map(MapShape { key_wire: #key_wire, value: #value, value_wire: #value_wire, flattened: #flattened }))
            }
            ShapeDef::Enum { .. } => quote!(Shape::String),
        }
    }

    fn field(&mut self, f: &Field) -> TokenStream {
        let name = &f.name;
        let wire = f.wire.as_deref().unwrap_or(&f.name);
        let shape = self.reference(&f.shape, f.timestamp_format.as_deref(), f.flattened);
        let attribute = f.attribute;
        let namespace = match &f.namespace {
            Some(uri) => {
                let prefix = match &f.namespace_prefix {
                    Some(p) => quote!(Some(#p)),
                    None => quote!(None),
                };
                quote!(Some(Namespace { prefix: #prefix, uri: #uri }))
            }
            None => quote!(None),
        };
        quote!(Field { name: #name, wire: #wire, shape: #shape, attribute: #attribute, namespace: #namespace })
    }
}

fn timestamp_format_tokens(fmt: Option<&str>) -> TokenStream {
    match fmt {
        Some("rfc822") => quote!(TimestampFormat::Rfc822),
        Some("unixTimestamp") => quote!(TimestampFormat::UnixTimestamp),
        Some("iso8601") => quote!(TimestampFormat::Iso8601),
        // No explicit format: S3's protocol defaults (rfc822 in headers, iso8601 elsewhere) are applied
        // by the location, so the member declares the default for where it lives.
        None => quote!(TimestampFormat::Iso8601),
        Some(other) => panic!("spec: unknown timestamp_format {other:?}"),
    }
}

fn member_timestamp_format(m: &Member) -> Option<&str> {
    match (&m.timestamp_format, m.location) {
        (Some(f), _) => Some(f.as_str()),
        (None, Location::Header) => Some("rfc822"),
        (None, _) => None,
    }
}

/// The static table entry, builder struct, setters and `Client` method of one operation.
fn operation(spec: &Spec, op: &Operation, shapes: &mut ShapeEmitter) -> TokenStream {
    let static_ident = format_ident!("{}", screaming(&op.name));
    let builder = format_ident!("{}", op.name);
    let method_ident = format_ident!("{}", rust_field(&op.name));
    let name = &op.name;
    let cli_name = kebab(&op.name);
    let summary = &op.summary;
    let group = &op.group;
    let method = &op.method;
    let path = &op.path;
    let query: Vec<TokenStream> = op
        .query
        .iter()
        .map(|q| {
            let (k, v) = q.split_once('=').unwrap_or((q.as_str(), ""));
            quote!((#k, #v))
        })
        .collect();
    let checksum_required = op.checksum_required;
    let deprecated = op.deprecated;
    let host_prefix = match &op.host_prefix {
        Some(p) => quote!(Some(#p)),
        None => quote!(None),
    };
    let endpoint_params: Vec<TokenStream> = op
        .endpoint_params
        .iter()
        .map(|(name, value)| quote!((#name, #value)))
        .collect();
    let help_path = format!("/reference/{cli_name}.md");

    let mut member_entries = Vec::new();
    let mut setters = Vec::new();
    for m in &op.members {
        let shape = shapes.reference(&m.shape, member_timestamp_format(m), false);
        member_entries.push(member_entry(spec, op, m, &shape));
        setters.push(setter(spec, m));
    }

    let payload = match &op.payload {
        None => quote!(Payload::None),
        Some(p) => match p.kind.as_str() {
            "xml" => {
                let root = p.root.clone().unwrap_or_default();
                let namespace = p.namespace.clone().unwrap_or_default();
                let (member, shape) = match (&p.member, &p.shape) {
                    (Some(member), _) => {
                        let Some(m) = op.members.iter().find(|m| &m.name == member) else {
                            panic!(
                                "spec/operations/{}.toml: payload member {member} missing",
                                op.name
                            )
                        };
                        (
                            quote!(Some(#member)),
                            shapes.reference(&m.shape, None, false),
                        )
                    }
                    (None, Some(shape)) => (quote!(None), shapes.reference(shape, None, false)),
                    (None, None) => panic!(
                        "spec/operations/{}.toml: payload needs member or shape",
                        op.name
                    ),
                };
                quote!(Payload::Xml { member: #member, root: #root, namespace: #namespace, shape: #shape })
            }
            "blob" => {
                let member = p.member.clone().unwrap_or_default();
                quote!(Payload::Blob { member: #member })
            }
            _ => {
                let member = p.member.clone().unwrap_or_default();
                quote!(Payload::Text { member: #member })
            }
        },
    };
    let output = match (op.output.kind.as_str(), &op.output.shape) {
        ("xml", Some(shape)) => {
            let s = shapes.reference(shape, None, false);
            quote!(Output::Xml(#s))
        }
        ("event-stream", Some(shape)) => {
            let s = shapes.reference(shape, None, false);
            quote!(Output::EventStream(#s))
        }
        ("blob", _) => quote!(Output::Blob),
        ("text", _) => quote!(Output::Text),
        _ => quote!(Output::None),
    };

    let pagination = match &op.pagination {
        None => quote!(None),
        Some(p) => {
            let inputs = &p.input_tokens;
            let outputs = &p.output_tokens;
            let results = &p.result_keys;
            let opt = |v: &Option<String>| match v {
                Some(s) => quote!(Some(#s)),
                None => quote!(None),
            };
            let limit = opt(&p.limit_key);
            let more = opt(&p.more_results);
            let fallback = opt(&p.last_key_fallback);
            quote!(Some(&Pagination {
                input_tokens: &[#(#inputs),*],
                output_tokens: &[#(#outputs),*],
                result_keys: &[#(#results),*],
                limit_key: #limit,
                more_results: #more,
                last_key_fallback: #fallback,
            }))
        }
    };
    let url_encoded = &op.output.url_encoded;
    // A `List…` operation answers with a listing, never a configuration to send back.
    let listing = op.name.starts_with("List");
    let static_doc = doc(&format!("`{name}`: {summary}"));
    let builder_doc = format!(
        "Request builder for `{name}`: {summary}\n\nMade by [`Client::{method_ident}`]; set members with its methods, then \
         [`send`](Self::send) it for the envelope or [`send_typed`](Self::send_typed) for a \
         [`types::{name}Output`], or turn it into a [`Request`] for dry runs, presigning, extra headers and \
         object downloads. Reference: `docs/reference/{cli_name}.md`."
    );
    let download = if op.output.kind == "blob" {
        quote! {
            /// Sends the request and writes the object to `path`: through a temporary file beside it,
            /// renamed into place only when the whole body has arrived.
            pub async fn send_to_file(self, path: impl AsRef<std::path::Path>) -> Result<Envelope, Error> {
                self.request.send_to_file(path).await
            }

            /// Sends the request and streams the object into `writer`.
            pub async fn send_to_writer<W: tokio::io::AsyncWrite + Unpin + Send>(self, writer: &mut W) -> Result<Envelope, Error> {
                self.request.send_to_writer(writer).await
            }
        }
    } else {
        TokenStream::new()
    };
    let send_doc = if op.output.kind == "blob" {
        doc("Sends the request and returns the envelope; the object's bytes are read and dropped (use\n[`send_to_file`](Self::send_to_file) or [`send_to_writer`](Self::send_to_writer) to keep them).")
    } else {
        doc("Sends the request and returns the response envelope.")
    };
    let output_ident = format_ident!("{}Output", op.name);
    let typed_doc = doc(&format!(
        "Sends the request and reads the answer into [`types::{}Output`] (see [`Envelope::parse`]).",
        op.name
    ));
    let paging = if op.pagination.is_some() {
        quote! {
            /// Every page of the listing, in order, as envelopes (see [`Request::pages`]).
            pub fn pages(self) -> impl futures_util::Stream<Item = Result<Envelope, Error>> + Send + 'static {
                self.request.pages()
            }

            /// Every page of the listing, in order, typed. The stream ends after the first error.
            pub fn typed_pages(self) -> impl futures_util::Stream<Item = Result<types::#output_ident, Error>> + Send + 'static {
                futures_util::StreamExt::map(self.request.pages(), |page| page.and_then(|envelope| envelope.parse()))
            }
        }
    } else {
        TokenStream::new()
    };
    let method_doc = doc(&format!(
        "{summary}\n\nStarts a [`{builder}`] request (`{method} {path}`)."
    ));
    let builder_doc = doc(&builder_doc);
    quote! {
        #static_doc
        pub static #static_ident: Operation = Operation {
            name: #name,
            cli_name: #cli_name,
            summary: #summary,
            group: #group,
            method: #method,
            path: #path,
            query: &[#(#query),*],
            members: &[#(#member_entries),*],
            payload: #payload,
            output: #output,
            url_encoded: &[#(#url_encoded),*],
            pagination: #pagination,
            listing: #listing,
            checksum_required: #checksum_required,
            host_prefix: #host_prefix,
            endpoint_params: &[#(#endpoint_params),*],
            deprecated: #deprecated,
            help: include_str!(concat!(env!("OUT_DIR"), #help_path)),
        };

        #builder_doc
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #builder {
            request: Request,
        }

        impl #builder {
            #(#setters)*

            #send_doc
            pub async fn send(self) -> Result<Envelope, Error> {
                self.request.send().await
            }

            #typed_doc
            pub async fn send_typed(self) -> Result<types::#output_ident, Error> {
                self.request.send().await?.parse()
            }

            #paging

            #download

            /// The generic request, for dry runs, presigning, extra headers and body destinations.
            pub fn request(self) -> Request {
                self.request
            }
        }

        impl Client {
            #method_doc
            pub fn #method_ident(&self) -> #builder {
                #builder { request: Request::new(self, &#static_ident) }
            }
        }
    }
}

fn member_entry(spec: &Spec, op: &Operation, m: &Member, shape: &TokenStream) -> TokenStream {
    let name = &m.name;
    let flag = kebab(&m.name);
    let summary = &m.summary;
    let wire = m.wire.clone().unwrap_or_default();
    let location = match m.location {
        Location::Uri => {
            let greedy = op.path.contains(&format!("{{{wire}+}}"));
            quote!(Location::Uri { label: #wire, greedy: #greedy })
        }
        Location::Query => quote!(Location::Query(#wire)),
        Location::Header => quote!(Location::Header(#wire)),
        Location::HeaderMap => quote!(Location::HeaderMap(#wire)),
        Location::Payload => quote!(Location::Payload),
        Location::Body => quote!(Location::Body),
    };
    let host_label = m.host_label;
    let required = m.required;
    let encoding = match m.encoding.as_deref() {
        None => quote!(Encoding::None),
        Some("sse-customer-key") => {
            let Some(h) = &m.md5_header else {
                panic!(
                    "spec/operations/{}.toml: member {} needs md5_header",
                    op.name, m.name
                )
            };
            quote!(Encoding::SseCustomerKey { md5_header: #h })
        }
        Some("copy-source") => quote!(Encoding::CopySource),
        Some(other) => panic!(
            "spec/operations/{}.toml: member {}: unknown encoding {other:?}",
            op.name, m.name
        ),
    };
    let streaming = m.streaming;
    let values = spec.member_values(m);
    let context_param = match &m.context_param {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    quote! {
        Member {
            name: #name,
            flag: #flag,
            summary: #summary,
            shape: #shape,
            location: #location,
            required: #required,
            encoding: #encoding,
            streaming: #streaming,
            host_label: #host_label,
            context_param: #context_param,
            values: &[#(#values),*],
        }
    }
}

/// A typed setter: the Rust type follows the member's shape.
fn setter(spec: &Spec, m: &Member) -> TokenStream {
    let ident = format_ident!("{}", rust_field(&m.name));
    let name = &m.name;
    let mut text = m.summary.clone();
    if m.required {
        text.push_str(" Required.");
    }
    let values = spec.member_values(m);
    if !values.is_empty() {
        text.push_str(&format!(" One of: `{}`.", values.join("`, `")));
    }
    let body = match m.shape.as_str() {
        "string" => quote! {
            pub fn #ident(mut self, value: impl Into<String>) -> Self {
                self.request.set(#name, Value::String(value.into()));
                self
            }
        },
        "integer" | "long" => quote! {
            pub fn #ident(mut self, value: i64) -> Self {
                self.request.set(#name, Value::Integer(value));
                self
            }
        },
        "float" | "double" => quote! {
            pub fn #ident(mut self, value: f64) -> Self {
                self.request.set(#name, Value::Float(value));
                self
            }
        },
        "boolean" => quote! {
            pub fn #ident(mut self, value: bool) -> Self {
                self.request.set(#name, Value::Boolean(value));
                self
            }
        },
        "timestamp" => quote! {
            pub fn #ident(mut self, value: time::OffsetDateTime) -> Self {
                self.request.set(#name, Value::Timestamp(value));
                self
            }
        },
        "blob" => quote! {
            pub fn #ident(mut self, value: impl Into<Body>) -> Self {
                self.request.set(#name, Value::Body(value.into()));
                self
            }
        },
        other => match spec.shapes.get(other) {
            Some(ShapeDef::Enum { .. }) => {
                let ty = format_ident!("{}", other);
                text.push_str(&format!(
                    " Takes a [`types::{other}`] or any string (`&str` converts)."
                ));
                quote! {
                    pub fn #ident(mut self, value: impl Into<types::#ty>) -> Self {
                        self.request.set(#name, Value::String(value.into().as_str().to_owned()));
                        self
                    }
                }
            }
            Some(ShapeDef::List { member, .. }) if spec.is_string(member) => {
                let item = if member == "string" {
                    quote!(String)
                } else {
                    let ty = format_ident!("{}", member);
                    quote!(types::#ty)
                };
                let to_string = if member == "string" {
                    quote!(s.into())
                } else {
                    quote!(s.into().as_str().to_owned())
                };
                text.push_str(" A list of strings.");
                quote! {
                    pub fn #ident<S: Into<#item>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
                        let list = values.into_iter().map(|s| serde_json::Value::String(#to_string)).collect();
                        self.request.set(#name, Value::Json(serde_json::Value::Array(list)));
                        self
                    }
                }
            }
            Some(ShapeDef::Map { value, .. }) if value == "string" => {
                text.push_str(" A map of strings.");
                quote! {
                    pub fn #ident<K: Into<String>, V: Into<String>>(mut self, entries: impl IntoIterator<Item = (K, V)>) -> Self {
                        let map = entries.into_iter().map(|(k, v)| (k.into(), serde_json::Value::String(v.into()))).collect();
                        self.request.set(#name, Value::Json(serde_json::Value::Object(map)));
                        self
                    }
                }
            }
            Some(def) => {
                let json_ident = format_ident!("{}_json", rust_field(&m.name));
                let json_doc = doc(&format!(
                    "{} JSON in the S3 API's member names (shape `{other}`), as `get-…` prints it; checked against the shape before sending.",
                    m.summary
                ));
                let (param, convert) = match def {
                    ShapeDef::List { member, .. } => {
                        let item = crate::types::value_type(spec, member, "");
                        text.push_str(&format!(" A list (shape `{other}`)."));
                        (
                            quote!(values: impl IntoIterator<Item = #item>),
                            quote!(serde_json::Value::Array(
                                values.into_iter().map(|v| types::to_json(&v)).collect()
                            )),
                        )
                    }
                    ShapeDef::Map { value, .. } => {
                        let value = crate::types::value_type(spec, value, "");
                        text.push_str(&format!(" A map (shape `{other}`)."));
                        (
                            quote!(entries: impl IntoIterator<Item = (String, #value)>),
                            quote!(serde_json::Value::Object(
                                entries
                                    .into_iter()
                                    .map(|(k, v)| (k, types::to_json(&v)))
                                    .collect()
                            )),
                        )
                    }
                    _ => {
                        let ty = format_ident!("{}", other);
                        text.push_str(&format!(" A [`types::{other}`]; [`{json_ident}`](Self::{json_ident}) takes JSON."));
                        (quote!(value: types::#ty), quote!(types::to_json(&value)))
                    }
                };
                quote! {
                    pub fn #ident(mut self, #param) -> Self {
                        self.request.set(#name, Value::Json(#convert));
                        self
                    }

                    #json_doc
                    pub fn #json_ident(mut self, value: serde_json::Value) -> Self {
                        self.request.set(#name, Value::Json(value));
                        self
                    }
                }
            }
            None => panic!("spec: member {}: unknown shape {other:?}", m.name),
        },
    };
    let doc = doc(&text);
    quote! {
        #doc
        #body
    }
}
