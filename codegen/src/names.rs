//! Name conversion, one function for all three outputs: the S3 API's `CamelCase` names become Rust's
//! `snake_case` (methods, fields), the CLI's `kebab-case` (subcommands, flags, reference page files) and
//! Rust type names. The rules are botocore's `xform_name`, so CLI names match `aws s3api` exactly.

/// `PutObject` → `put_object`, `SSEKMSKeyId` → `ssekms_key_id`, `ListObjectsV2` → `list_objects_v2`.
pub fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `PutObject` → `put-object`, `ContentMD5` → `content-md5`, `GrantReadACP` → `grant-read-acp`.
pub fn kebab(name: &str) -> String {
    words(name).join("-")
}

/// `PutObject` → `PUT_OBJECT`, for statics.
pub fn screaming(name: &str) -> String {
    snake(name).to_uppercase()
}

/// A Rust identifier for a member: `snake`, with a trailing `_` where that is a keyword.
pub fn rust_field(name: &str) -> String {
    let s = snake(name);
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// A Rust enum variant for an enumeration value, as aws-sdk-s3 names them: `STANDARD` → `Standard`,
/// `GLACIER_IR` → `GlacierIr`, `aws:kms` → `AwsKms`, `s3:ObjectCreated:*` → `S3ObjectCreated`,
/// `us-east-1` → `UsEast1`. Words split at anything not alphanumeric and at the case changes
/// [`snake`] knows; each word is capitalised. A value that starts with a digit gets a `V` in front.
pub fn rust_variant(value: &str) -> String {
    let mut out = String::new();
    for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        for word in words(part) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "yield",
];

/// botocore's two rules: a capitalised word (`[A-Z][a-z]+`) starts a new word, and so does an upper-case
/// letter after a lower-case letter or digit. Runs of capitals (`SSEKMS`, `MD5`, `ACP`) stay one word.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut cut = vec![false; chars.len()];
    // Rule 1: (.)([A-Z][a-z]+) → a cut before the capital.
    for i in 1..chars.len() {
        if chars[i].is_ascii_uppercase() && chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase())
        {
            cut[i] = true;
        }
    }
    // Rule 2: ([a-z0-9])([A-Z]) → a cut before the capital.
    for i in 1..chars.len() {
        if chars[i].is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit())
        {
            cut[i] = true;
        }
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, c) in chars.iter().enumerate() {
        if cut[i] && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_names_convert_as_aws_s3api_names_them() {
        assert_eq!(kebab("ListObjectsV2"), "list-objects-v2");
        assert_eq!(kebab("SSEKMSKeyId"), "ssekms-key-id");
        assert_eq!(kebab("ContentMD5"), "content-md5");
        assert_eq!(kebab("GrantReadACP"), "grant-read-acp");
        assert_eq!(kebab("SSECustomerKeyMD5"), "sse-customer-key-md5");
        assert_eq!(kebab("VersionId"), "version-id");
        assert_eq!(kebab("MultipartUpload"), "multipart-upload");
        assert_eq!(kebab("SSECustomerKey"), "sse-customer-key");
        assert_eq!(
            kebab("PutBucketOwnershipControls"),
            "put-bucket-ownership-controls"
        );
        assert_eq!(kebab("MFA"), "mfa");
        assert_eq!(snake("ListObjectsV2"), "list_objects_v2");
        assert_eq!(
            snake("SSEKMSEncryptionContext"),
            "ssekms_encryption_context"
        );
        assert_eq!(screaming("PutObject"), "PUT_OBJECT");
        assert_eq!(rust_field("Type"), "type_");
    }

    #[test]
    fn enum_values_become_variants_as_aws_sdk_s3_names_them() {
        assert_eq!(rust_variant("STANDARD"), "Standard");
        assert_eq!(rust_variant("GLACIER_IR"), "GlacierIr");
        assert_eq!(rust_variant("aws:kms:dsse"), "AwsKmsDsse");
        assert_eq!(rust_variant("s3:ObjectCreated:*"), "S3ObjectCreated");
        assert_eq!(rust_variant("us-east-1"), "UsEast1");
        assert_eq!(rust_variant("CRC64NVME"), "Crc64Nvme");
        assert_eq!(
            rust_variant("bucket-owner-full-control"),
            "BucketOwnerFullControl"
        );
        assert_eq!(rust_variant("Enabled"), "Enabled");
        assert_eq!(rust_variant("3"), "V3");
    }
}
