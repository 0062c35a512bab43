//! The types generator: turns the spec's shapes into the library's typed view of answers
//! (`s3op::types`). Every structure shape becomes a struct, every enumeration an enum with an
//! `Unknown(String)` arm, and every operation's output a `{Operation}Output` struct holding the body's
//! members and the header members, with a `FromEnvelope` impl that reads them from the envelope the
//! runtime already built. Names and types follow aws-sdk-s3 so Rust users find what they know.
//! The runtime half (the trait, header parsing, timestamps in serde) is `src/types.rs`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::names::{rust_field, rust_variant};
use crate::spec::{Operation, ShapeDef, Spec};

/// The whole generated `types.rs`: every enum and structure shape, every operation's output.
pub fn generate(spec: &Spec) -> String {
    let outputs = output_names(spec);
    let mut items = Vec::new();
    for (name, def) in &spec.shapes {
        match def {
            ShapeDef::Enum { values } => items.push(enumeration(name, values)),
            ShapeDef::Structure { members, .. } if !outputs.contains(name) => {
                let fields: Vec<TypedField> = members
                    .iter()
                    .map(|f| TypedField::body(&f.name, &f.shape, f.required))
                    .collect();
                let doc = format!("The `{name}` structure (spec/shapes.toml).");
                items.push(structure(spec, name, &doc, &fields));
            }
            _ => {}
        }
    }
    for op in &spec.operations {
        items.push(output(spec, op));
    }
    let entries = spec.operations.iter().map(|op| {
        let name = &op.name;
        let ty = format_ident!("{}Output", op.name);
        quote!((#name, member_names::<#ty>))
    });
    items.push(quote! {
        /// Every operation's output type with the members its serde derive names (S3 API member
        /// names), by operation, in the spec's order: for tools and for the test that holds them
        /// against botocore's model.
        pub static OUTPUT_MEMBERS: &[(&str, MemberNames)] = &[#(#entries),*];
    });
    format_file(quote! { #(#items)* })
}

/// The output types of a few operations and every shape they reach (for the snapshot test).
pub fn generate_operations(spec: &Spec, names: &[&str]) -> String {
    let outputs = output_names(spec);
    let mut items = Vec::new();
    let mut reached = BTreeSet::new();
    for op in spec
        .operations
        .iter()
        .filter(|op| names.contains(&op.name.as_str()))
    {
        items.push(output(spec, op));
        for f in output_fields(spec, op) {
            reach(spec, &f.shape, &mut reached);
        }
    }
    for name in reached {
        match spec.shapes.get(&name) {
            Some(ShapeDef::Enum { values }) => items.push(enumeration(&name, values)),
            Some(ShapeDef::Structure { members, .. }) if !outputs.contains(&name) => {
                let fields: Vec<TypedField> = members
                    .iter()
                    .map(|f| TypedField::body(&f.name, &f.shape, f.required))
                    .collect();
                let doc = format!("The `{name}` structure (spec/shapes.toml).");
                items.push(structure(spec, &name, &doc, &fields));
            }
            _ => {}
        }
    }
    format_file(quote! { #(#items)* })
}

/// Every shape reachable from `shape` (itself included), by name.
fn reach(spec: &Spec, shape: &str, seen: &mut BTreeSet<String>) {
    let Some(def) = spec.shapes.get(shape) else {
        return;
    };
    if !seen.insert(shape.to_string()) {
        return;
    }
    match def {
        ShapeDef::Structure { members, .. } => {
            for f in members {
                reach(spec, &f.shape, seen);
            }
        }
        ShapeDef::List { member, .. } => reach(spec, member, seen),
        ShapeDef::Map { value, .. } => reach(spec, value, seen),
        ShapeDef::Enum { .. } => {}
    }
}

/// The names of the output structs: `{Operation}Output`. A spec shape of the same name (the body of
/// ListObjectsV2's answer is shape `ListObjectsV2Output`) is generated as that output, not twice.
fn output_names(spec: &Spec) -> BTreeSet<String> {
    spec.operations
        .iter()
        .map(|op| format!("{}Output", op.name))
        .collect()
}

fn format_file(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("generated types do not parse: {e}"),
    }
}

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

/// An enum with one variant per value, `Unknown(String)` for values this build does not know, and
/// serde as the plain string.
fn enumeration(name: &str, values: &[String]) -> TokenStream {
    let ident = format_ident!("{}", name);
    let mut used = BTreeMap::new();
    used.insert("Unknown".to_string(), ());
    let variants: Vec<_> = values
        .iter()
        .map(|v| {
            let mut base = rust_variant(v);
            if used.contains_key(&base) {
                // Two values that differ only in punctuation or case: keep both, distinctly.
                let mut n = 2;
                while used.contains_key(&format!("{base}{n}")) {
                    n += 1;
                }
                base = format!("{base}{n}");
            }
            used.insert(base.clone(), ());
            format_ident!("{}", base)
        })
        .collect();
    let variant_docs: Vec<String> = values.iter().map(|v| format!(" `{v}`")).collect();
    let enum_doc = doc(&format!(
        "The `{name}` enumeration (spec/shapes.toml). A value S3 sends that this build does not \
         know is kept in `Unknown`; serialised as the plain string."
    ));
    quote! {
        #enum_doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ident {
            #(#[doc = #variant_docs] #variants,)*
            /// A value this version of s3op does not know, as S3 sent it.
            Unknown(String),
        }

        impl #ident {
            /// Every value this version knows, in the spec's order.
            pub const VALUES: &'static [&'static str] = &[#(#values),*];

            /// The value as S3 writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #values,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for #ident {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => Self::#variants,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl From<String> for #ident {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl From<&String> for #ident {
            fn from(value: &String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl std::str::FromStr for #ident {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl AsRef<str> for #ident {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for #ident {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// An empty `Unknown`: only so that structures holding this enum can be built with
        /// `..Default::default()`.
        impl Default for #ident {
            fn default() -> Self {
                Self::Unknown(String::new())
            }
        }

        impl serde::Serialize for #ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }

        impl HeaderValue for #ident {
            fn from_header(text: &str) -> Result<Self, String> {
                Ok(Self::from(text))
            }
        }
    }
}

/// Where an output field comes from.
#[derive(Clone, PartialEq)]
enum Source {
    /// A member of the JSON body (or of a structure).
    Body,
    /// A response header (`map`: every header with this prefix).
    Header { wire: String, map: bool },
    /// The whole body is this member (an xml payload structure, or a text body).
    Payload,
}

/// A field of a generated struct: the member's name and shape and how it is read.
#[derive(Clone)]
struct TypedField {
    name: String,
    shape: String,
    required: bool,
    source: Source,
}

impl TypedField {
    fn body(name: &str, shape: &str, required: bool) -> Self {
        TypedField {
            name: name.to_string(),
            shape: shape.to_string(),
            required,
            source: Source::Body,
        }
    }
}

/// The fields of `{Operation}Output`: the body's (inline, or one payload member) then the headers'.
/// Blob and event-stream bodies are not in the output: only their header members are.
fn output_fields(spec: &Spec, op: &Operation) -> Vec<TypedField> {
    let mut fields = Vec::new();
    match (op.output.kind.as_str(), &op.output.member, &op.output.shape) {
        ("xml", Some(member), Some(shape)) => fields.push(TypedField {
            name: member.clone(),
            shape: shape.clone(),
            required: false,
            source: Source::Payload,
        }),
        ("text", Some(member), _) => fields.push(TypedField {
            name: member.clone(),
            shape: "string".into(),
            required: false,
            source: Source::Payload,
        }),
        ("xml", None, Some(shape)) => match spec.shapes.get(shape) {
            Some(ShapeDef::Structure { members, .. }) => fields.extend(
                members
                    .iter()
                    .map(|f| TypedField::body(&f.name, &f.shape, f.required)),
            ),
            _ => panic!(
                "spec/operations/{}.toml: output shape {shape} is not a structure",
                op.name
            ),
        },
        _ => {}
    }
    for h in &op.output.headers {
        fields.push(TypedField {
            name: h.name.clone(),
            shape: h.shape.clone(),
            required: false,
            source: Source::Header {
                wire: h.wire.to_ascii_lowercase(),
                map: h.map,
            },
        });
    }
    fields
}

/// `{Operation}Output` and its `FromEnvelope` impl.
fn output(spec: &Spec, op: &Operation) -> TokenStream {
    let name = format!("{}Output", op.name);
    let ident = format_ident!("{}", name);
    let fields = output_fields(spec, op);
    let what = match op.output.kind.as_str() {
        "blob" => {
            " The object's bytes are not here: `send_to_file` or `send_to_writer` stores them and \
             returns the envelope, which `parse` turns into this."
        }
        "event-stream" => " The event stream is not here: it is in the envelope's `response`.",
        _ => "",
    };
    let text = format!(
        "What `{}` answers, typed: the body's members and the header members.{what}\n\nMade by \
         `send_typed()` on the request builder, or [`Envelope::parse`](crate::Envelope::parse) on its envelope.",
        op.name
    );
    let definition = structure(spec, &name, &text, &fields);
    let op_name = &op.name;
    let has_body = fields.iter().any(|f| f.source == Source::Body);
    let mut reads = Vec::new();
    for f in &fields {
        let field = format_ident!("{}", rust_field(&f.name));
        let member = &f.name;
        match &f.source {
            Source::Body => {}
            Source::Payload if op.output.kind == "text" => {
                reads.push(quote! { #field: text(&envelope.response) });
            }
            Source::Payload => {
                reads.push(quote! { #field: payload(#op_name, #member, &envelope.response)? });
            }
            Source::Header { wire, map: true } => {
                reads.push(quote! { #field: header_map(envelope, #wire) });
            }
            Source::Header { wire, map: false } => {
                reads.push(quote! { #field: header(envelope, #op_name, #member, #wire)? });
            }
        }
    }
    // The body's members through serde, then the rest member by member; an output with nothing to
    // read (DeleteBucket answers only a status) ignores its envelope.
    let (param, read) = match (has_body, reads.is_empty()) {
        (true, true) => (
            quote!(envelope),
            quote! { body(#op_name, &envelope.response) },
        ),
        (true, false) => (
            quote!(envelope),
            quote! {
                let out: Self = body(#op_name, &envelope.response)?;
                Ok(Self { #(#reads,)* ..out })
            },
        ),
        (false, true) => (quote!(_envelope), quote! { Ok(Self {}) }),
        (false, false) => (quote!(envelope), quote! { Ok(Self { #(#reads,)* }) }),
    };
    quote! {
        #definition

        impl FromEnvelope for #ident {
            const OPERATION: &'static str = #op_name;

            fn from_envelope(#param: &crate::envelope::Envelope) -> Result<Self, crate::error::Error> {
                #read
            }
        }
    }
}

/// True when structure `from` reaches structure `target` through structure members alone (not
/// through a list or map, which already break the size cycle): such a member must be boxed.
fn reaches(spec: &Spec, from: &str, target: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == target {
        return true;
    }
    if !seen.insert(from.to_string()) {
        return false;
    }
    match spec.shapes.get(from) {
        Some(ShapeDef::Structure { members, .. }) => members
            .iter()
            .any(|f| reaches(spec, &f.shape, target, seen)),
        _ => false,
    }
}

/// The Rust type of a value of `shape` (a list item, a map value, a field before `Option`).
pub(crate) fn value_type(spec: &Spec, shape: &str, container: &str) -> TokenStream {
    match shape {
        "string" | "blob" => quote!(String),
        "integer" | "long" => quote!(i64),
        "float" | "double" => quote!(f64),
        "boolean" => quote!(bool),
        "timestamp" => quote!(time::OffsetDateTime),
        other => {
            let ident = format_ident!("{}", other);
            match spec.shapes.get(other) {
                Some(ShapeDef::List { member, .. }) => {
                    if member == "timestamp" {
                        panic!("spec/shapes.toml [{other}]: lists of timestamps have no typed form yet");
                    }
                    let item = value_type(spec, member, "");
                    quote!(Vec<#item>)
                }
                Some(ShapeDef::Map { value, .. }) => {
                    let value = value_type(spec, value, "");
                    quote!(std::collections::HashMap<String, #value>)
                }
                Some(ShapeDef::Structure { .. })
                    if !container.is_empty()
                        && reaches(spec, other, container, &mut BTreeSet::new()) =>
                {
                    quote!(Box<#ident>)
                }
                Some(_) => quote!(#ident),
                None => panic!("spec: unknown shape {other:?}"),
            }
        }
    }
}

/// How a field reads, for its serde attributes and its accessor.
enum Kind {
    Str,
    Copy,
    Timestamp,
    Enum,
    Structure,
    List,
    Map,
}

fn kind(spec: &Spec, shape: &str) -> Kind {
    match shape {
        "string" | "blob" => Kind::Str,
        "integer" | "long" | "float" | "double" | "boolean" => Kind::Copy,
        "timestamp" => Kind::Timestamp,
        other => match spec.shapes.get(other) {
            Some(ShapeDef::Enum { .. }) => Kind::Enum,
            Some(ShapeDef::List { .. }) => Kind::List,
            Some(ShapeDef::Map { .. }) => Kind::Map,
            _ => Kind::Structure,
        },
    }
}

/// A struct with serde names = member names, accessors named like the fields, and `Default`.
fn structure(spec: &Spec, name: &str, text: &str, fields: &[TypedField]) -> TokenStream {
    let ident = format_ident!("{}", name);
    let mut defs = Vec::new();
    let mut accessors = Vec::new();
    let mut defaults = Vec::new();
    let mut needs_manual_default = false;
    for f in fields {
        let field = format_ident!("{}", rust_field(&f.name));
        let member = &f.name;
        let ty = value_type(spec, &f.shape, name);
        let k = kind(spec, &f.shape);
        let boxed = ty.to_string().starts_with("Box");
        let required = f.required && f.source == Source::Body;
        let origin = match &f.source {
            Source::Header { wire, map: true } => format!(" (headers `{wire}*`)"),
            Source::Header { wire, .. } => format!(" (header `{wire}`)"),
            Source::Payload => " (the body)".to_string(),
            Source::Body => String::new(),
        };
        let field_doc = doc(&format!(
            "`{member}`{origin}{}.",
            if required { ", required" } else { "" }
        ));
        // Headers are read by the FromEnvelope impl, not from the body: serde skips nothing, but
        // they are always optional.
        let (field_ty, serde_attr, accessor) = match k {
            Kind::List => (
                ty.clone(),
                if required {
                    quote!(#[serde(rename = #member, default)])
                } else {
                    quote!(#[serde(rename = #member, default, skip_serializing_if = "Vec::is_empty")])
                },
                {
                    let item = match spec.shapes.get(&f.shape) {
                        Some(ShapeDef::List { member, .. }) => value_type(spec, member, ""),
                        _ => quote!(String),
                    };
                    quote!(pub fn #field(&self) -> &[#item] { &self.#field })
                },
            ),
            Kind::Map => (
                ty.clone(),
                if required {
                    quote!(#[serde(rename = #member, default)])
                } else {
                    quote!(#[serde(rename = #member, default, skip_serializing_if = "std::collections::HashMap::is_empty")])
                },
                quote!(pub fn #field(&self) -> &#ty { &self.#field }),
            ),
            _ if required => {
                let attr = if matches!(k, Kind::Timestamp) {
                    needs_manual_default = true;
                    quote!(#[serde(rename = #member, with = "timestamp")])
                } else {
                    quote!(#[serde(rename = #member)])
                };
                let accessor = match k {
                    Kind::Str => quote!(pub fn #field(&self) -> &str { &self.#field }),
                    Kind::Copy => quote!(pub fn #field(&self) -> #ty { self.#field }),
                    _ if boxed => {
                        let inner = format_ident!("{}", f.shape);
                        quote!(pub fn #field(&self) -> &#inner { &self.#field })
                    }
                    _ => quote!(pub fn #field(&self) -> &#ty { &self.#field }),
                };
                (ty.clone(), attr, accessor)
            }
            _ => {
                let attr = if matches!(k, Kind::Timestamp) {
                    quote!(#[serde(rename = #member, default, skip_serializing_if = "Option::is_none", with = "option_timestamp")])
                } else {
                    quote!(#[serde(rename = #member, default, skip_serializing_if = "Option::is_none")])
                };
                let accessor = match k {
                    Kind::Str => {
                        quote!(pub fn #field(&self) -> Option<&str> { self.#field.as_deref() })
                    }
                    Kind::Copy => quote!(pub fn #field(&self) -> Option<#ty> { self.#field }),
                    _ if boxed => {
                        let inner = format_ident!("{}", f.shape);
                        quote!(pub fn #field(&self) -> Option<&#inner> { self.#field.as_deref() })
                    }
                    _ => quote!(pub fn #field(&self) -> Option<&#ty> { self.#field.as_ref() }),
                };
                (quote!(Option<#ty>), attr, accessor)
            }
        };
        defs.push(quote! {
            #field_doc
            #serde_attr
            pub #field: #field_ty,
        });
        accessors.push(quote! {
            #field_doc
            #accessor
        });
        defaults.push(if required && matches!(k, Kind::Timestamp) {
            quote!(#field: time::OffsetDateTime::UNIX_EPOCH)
        } else {
            quote!(#field: Default::default())
        });
    }
    let struct_doc = doc(text);
    let derives = if needs_manual_default {
        quote!(#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)])
    } else {
        quote!(#[derive(Default, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)])
    };
    let manual_default = if needs_manual_default {
        quote! {
            /// Empty values; a required timestamp starts at the Unix epoch.
            impl Default for #ident {
                fn default() -> Self {
                    Self { #(#defaults),* }
                }
            }
        }
    } else {
        TokenStream::new()
    };
    let impl_block = if accessors.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            impl #ident {
                #(#accessors)*
            }
        }
    };
    quote! {
        #struct_doc
        #derives
        pub struct #ident {
            #(#defs)*
        }

        #manual_default
        #impl_block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec() -> Spec {
        Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_operation_has_an_output_and_the_file_parses() {
        let spec = spec();
        let text = generate(&spec);
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{e}"));
        let structs: BTreeSet<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect();
        for op in &spec.operations {
            assert!(
                structs.contains(&format!("{}Output", op.name)),
                "{}",
                op.name
            );
        }
    }

    #[test]
    fn enums_keep_unknown_values_and_name_variants_like_aws_sdk_s3() {
        let text =
            enumeration("StorageClass", &["STANDARD".into(), "GLACIER_IR".into()]).to_string();
        assert!(text.contains("Standard"), "{text}");
        assert!(text.contains("GlacierIr"), "{text}");
        assert!(text.contains("Unknown (String)"), "{text}");
    }

    #[test]
    fn values_that_collide_after_conversion_get_distinct_variants() {
        let text = enumeration("E", &["a-b".into(), "a_b".into()]).to_string();
        assert!(text.contains("AB ,"), "{text}");
        assert!(text.contains("AB2"), "{text}");
    }

    #[test]
    fn required_members_are_plain_and_optional_ones_options() {
        let spec = spec();
        let text = generate_operations(&spec, &["GetBucketTagging"]);
        // Tag's Key and Value are required in the model; TagSet is a list.
        assert!(text.contains("pub key: String"), "{text}");
        assert!(text.contains("pub tag_set: Vec<Tag>"), "{text}");
        let text = generate_operations(&spec, &["HeadObject"]);
        assert!(text.contains("pub content_length: Option<i64>"), "{text}");
        assert!(
            text.contains("pub metadata: std::collections::HashMap<String, String>"),
            "{text}"
        );
        assert!(
            text.contains("pub last_modified: Option<time::OffsetDateTime>"),
            "{text}"
        );
    }

    #[test]
    fn a_self_referencing_structure_is_boxed() {
        let mut spec = spec();
        spec.shapes.insert(
            "Node".into(),
            toml::from_str(
                "type = \"structure\"\nmembers = [{ name = \"Next\", shape = \"Node\" }, { name = \"Name\", shape = \"string\" }]",
            )
            .unwrap(),
        );
        let fields = vec![
            TypedField::body("Next", "Node", false),
            TypedField::body("Name", "string", false),
        ];
        let text = structure(&spec, "Node", "doc", &fields).to_string();
        assert!(text.contains("Option < Box < Node > >"), "{text}");
        assert!(text.contains("as_deref"), "{text}");
    }
}
