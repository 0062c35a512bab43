//! Server quirks, in one place: what a particular S3 server (named with the version it was seen on)
//! does differently from AWS S3, and what s3op does about it. Each quirk is one entry of [`QUIRKS`]
//! and, where code acts on it, one small function here that the rest of the library calls, so a
//! quirk is never handled by a special case scattered elsewhere. `docs/compat.md` is this table for
//! readers.

use std::collections::BTreeMap;

/// A server's departure from AWS S3's behaviour.
#[derive(Debug, Clone, Copy)]
pub struct Quirk {
    /// The server and the version it was seen on.
    pub server: &'static str,
    /// What it does, and what s3op does about it.
    pub what: &'static str,
}

/// Every quirk s3op knows of.
pub const QUIRKS: &[Quirk] = &[
    Quirk { server: "s3s-fs 0.14.1", what: "echoes <EncodingType>url</EncodingType> without encoding the keys: keys are decoded only when the caller asked for url encoding and the answer says it encoded (`listing_was_url_encoded`)" },
    Quirk { server: "s3s-fs 0.14.1", what: "leaves ETag out of ListObjectsV2 entries: sync asks HeadObject for the ETag when it needs one (`listing_lacks_etag`)" },
    Quirk { server: "s3s-fs 0.14.1", what: "keeps objects as files, so keys are file paths: `a//b` is stored as `a/b` and `dots/../up` as `up`; nothing to absorb (the compatibility suite records it)" },
    Quirk { server: "s3s-fs 0.14.1", what: "answers ListMultipartUploads and Put/GetObjectTagging with 501 NotImplemented, and ListParts with 200 and no parts after an abort: nothing to absorb, tests use moto for those" },
    Quirk { server: "moto 5.2.5", what: "answers PutBucketPolicy with a 200 whose body is the plain text `True`: text bodies that are neither JSON nor XML are kept as a string (`text_answer`)" },
    Quirk { server: "moto 5.2.5", what: "wraps GetBucketVersioning's answer in <GetBucketVersioningResponse>: the converter takes the shape from the operation, never from the root element's name" },
    Quirk { server: "moto 5.2.5", what: "sends the request id as x-amzn-requestid, not x-amz-request-id: both are read (`request_id`)" },
    Quirk { server: "moto 5.2.5", what: "reports every multipart upload's Initiated as 2010-11-10T20:48:33Z: `rm --incomplete --older-than` sees them all as old there; nothing to absorb (the tests filter with 0s and 36500d)" },
    Quirk { server: "moto 5.2.5", what: "computes CRC32C and CRC64NVME as CRC32 unless its optional `crc32c` and `awscrt` packages are installed (its `compute_checksum`): the FULL_OBJECT CRC64NVME of a multipart upload is a 4-byte value, and a copy's CRC32C is not the object's; it checks no checksum it is sent. A stored checksum whose value is not a digest of its algorithm is not used to check a download (`stored_checksum_is_malformed`); the tests copy with CRC32" },
    Quirk { server: "moto 5.2.5", what: "pages ListObjectVersions by skipping to the entry named by KeyMarker and VersionIdMarker, so when that version was deleted meanwhile the next page is empty and the listing ends early: `rm --all-versions` and `rb --force` hold each page back until the next has arrived, so a page is deleted only after the page after it was asked for (`one_page_behind` in the CLI's listing)" },
    Quirk { server: "moto 5.2.5", what: "honours `If-None-Match: *` on PutObject and CompleteMultipartUpload but ignores it on CopyObject (the copy replaces the key): `sync --no-overwrite` S3 to S3 is guarded there only by its listing; nothing to absorb" },
    Quirk { server: "s3s-fs 0.14.1, moto 5.2.5", what: "ignore an SSE-C key: the object is stored and given back in plain, with or without the key (a download without it gets 200): nothing to absorb; the compatibility suite records it, and SSE-C is tested on the wire (wiremock) and on Garage and Ceph RGW, which do require the key" },
    Quirk { server: "s3s-fs 0.14.1, Garage 2.5.0", what: "accept `x-amz-server-side-encryption: AES256` and ignore it (HeadObject shows no encryption): nothing to absorb" },
    Quirk { server: "Ceph RGW 16.2.15", what: "CopyObject ignores `x-amz-tagging-directive` and `x-amz-tagging`: under metadata directive COPY the copy keeps the source's tags, under REPLACE it has none, whatever `--tagging` says: nothing to absorb (the compatibility suite records it)" },
    Quirk { server: "s3s-fs 0.14.1", what: "walks the bucket's directory again for every ListObjectsV2 page and answers 500 InternalError when a file disappears during the walk: `rm --recursive` of more than one page, which deletes while it lists (as S3 allows), could see its listing fail there; `s3op::scan` lists each subdirectory by its own prefix, which s3s-fs walks alone, so deletions in one never break another's listing (the bench's 5,000-key `rm` case passes); a flat namespace of more than a page can still fail" },
    Quirk { server: "moto 5.2.5", what: "keeps a source's checksum on CopyObject only when the request names its algorithm (S3 keeps it by default): a copy s3op HEADs first (one object, copies in parts) names it; a copy from a listing (`cp -r`, `sync`) sends no HEAD and names none, so on moto its copy has no checksum; nothing else to absorb" },
    Quirk { server: "s3s-fs 0.14.1", what: "leaves out of a delimiter listing's CommonPrefixes a prefix that sorts before `start-after`, even when keys after `start-after` are under it (AWS names it): `s3op::scan` works out the subdirectory its first page ended in from the last key and lists its rest itself, named or not" },
    Quirk { server: "s3s-fs 0.14.1", what: "checks the checksum of a PutObject (400 BadDigest) but not of an UploadPart, and keeps no checksum for a multipart object; answers a ranged GET without the object's checksum (as AWS does): nothing to absorb" },
    Quirk { server: "Garage 2.5.0", what: "drops a key's leading `/` (`/k` is stored as `k`): nothing to absorb, s3op sends the key as given" },
    Quirk { server: "Garage 2.5.0", what: "ignores `If-None-Match: *` on PutObject (an existing key is overwritten): a conditional write there is no guard; the compatibility suite records it" },
    Quirk { server: "Garage 2.5.0", what: "has no SelectObjectContent: `POST ?select` is taken for a browser form upload and refused as 403 Invalid signature" },
    Quirk { server: "Garage 2.5.0 (cluster)", what: "listings are range reads filtered on each replica, so a replica that has not yet seen a delete (a moment after it, or while a node was down) keeps the key in ListObjects for a while: nothing to absorb, the compatibility suite waits a few seconds for a listing after `sync --delete`" },
    Quirk { server: "Garage 2.5.0 (cluster)", what: "right after an abort (seen in a CI run), and after a node restarts, ListMultipartUploads can list an upload completed or aborted a moment before or while that node was down (its replica still says uploading, the others filter the entry out, so nothing merges them) until anti-entropy catches up; ListParts and AbortMultipartUpload read the upload by quorum and answer NoSuchUpload, which s3op's abort counts as gone" },
    Quirk { server: "Ceph RGW 16.2.15", what: "answers 411 MissingContentLength to a PUT of an empty body without Content-Length: s3op always sends `Content-Length: 0` for an empty PUT or POST (`client::pipeline`)" },
    Quirk { server: "Ceph RGW 16.2.15", what: "answers GetBucketLocation with `default` (its zone group) for a bucket made without a LocationConstraint, and CompleteMultipartUpload with an empty <ETag>: s3op's managed uploads and copies fill it in from HeadObject (`completion_lacks_etag`); errors carry an empty <Message>, which s3op leaves out of its text" },
    Quirk { server: "Ceph RGW 16.2.15", what: "compares `If-Match` on PutObject with the ETag stripped of its quotes: the quoted ETag HeadObject gives is refused 412 and the bare hex accepted (GetObject takes either): s3op sends the header as given, so give Ceph the bare ETag" },
    Quirk { server: "Ceph RGW 16.2.15", what: "refuses PutBucketEncryption (400 InvalidArgument), notifications without an SNS topic (400 MalformedXML), GetObjectTorrent (400 InvalidArgument), and SSE-C over plain http unless `rgw_crypt_require_ssl` is false" },
    Quirk { server: "AWS S3, s3s-fs 0.14.1, moto 5.2.5, Garage 2.5.0", what: "answer 416 to any Range on an empty object (it has no byte 0): a download whose first range gets 416 fetches the object whole (`empty_object_range`)" },
    Quirk { server: "plain HTTP servers behind `s3op request`", what: "may ignore Range and answer 200 with the whole body: a resumed body then skips the bytes it already has (`client::pipeline`)" },
];

/// Whether a listing the caller asked to be url-encoded really arrived encoded: the answer says
/// `EncodingType` url (s3s-fs 0.14.1 says so without encoding; nothing else can tell).
pub(crate) fn listing_was_url_encoded(response: &serde_json::Value) -> bool {
    response["EncodingType"] == "url"
}

/// Whether an error answer refuses a request's checksum headers rather than its data: 501 Not
/// Implemented, or a 400 whose code is not a mismatch (`BadDigest` means the bytes changed on the
/// way, and is retried with the checksum) and whose message or argument names a checksum. S3
/// compatible servers older than flexible checksums answer so (the reason the SDKs' defaults
/// broke them); the pipeline sends such a request once more without the headers.
pub fn refuses_checksum(answer: &crate::envelope::Envelope) -> bool {
    if answer.status == 501 {
        return true;
    }
    if answer.status != 400 {
        return false;
    }
    let code = answer.error_code().unwrap_or_default();
    if matches!(
        code,
        "BadDigest" | "XAmzContentChecksumMismatch" | "InvalidDigest"
    ) {
        return false;
    }
    let error = &answer.response["Error"];
    ["Message", "ArgumentName", "ArgumentValue"]
        .iter()
        .filter_map(|field| error[field].as_str())
        .chain([code])
        .any(|text| text.to_ascii_lowercase().contains("checksum"))
}

/// A stored checksum whose value is not a digest of its algorithm (moto 5.2.5's 4-byte
/// "CRC64NVME" of a multipart object): not a checksum the object can be checked against.
pub fn stored_checksum_is_malformed(algorithm: crate::checksum::Algorithm, value: &str) -> bool {
    !algorithm.fits(value)
}

/// A listing entry without an ETag (s3s-fs 0.14.1), which HeadObject must supply.
pub fn listing_lacks_etag(etag: Option<&str>) -> bool {
    etag.is_none_or(str::is_empty)
}

/// A 200 text answer that is neither JSON nor XML (moto 5.2.5's `True`): kept as a string.
pub(crate) fn text_answer(text: &str) -> serde_json::Value {
    serde_json::Value::String(text.to_string())
}

/// The request id of an answer: `x-amz-request-id` (AWS), or `x-amzn-requestid` (moto 5.2.5).
pub fn request_id(headers: &BTreeMap<String, String>) -> Option<&str> {
    headers
        .get("x-amz-request-id")
        .or_else(|| headers.get("x-amzn-requestid"))
        .map(String::as_str)
}

/// A CompleteMultipartUpload answer without the object's ETag (Ceph RGW 16.2.15 sends an empty
/// `<ETag>`), which HeadObject must supply.
pub(crate) fn completion_lacks_etag(response: &serde_json::Value) -> bool {
    response["ETag"].as_str().is_none_or(str::is_empty)
}

/// A ranged GET refused because the object is empty (416 on every server).
pub(crate) fn empty_object_range(status: u16) -> bool {
    status == 416
}
