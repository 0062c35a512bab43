//! S3's flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5), base64-encoded as the
//! `x-amz-checksum-*` headers carry them, computed over a body in memory or streamed from a file.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use md5::Digest as _;

use crate::client::prepare::PreparedBody;

/// The checksum `algorithm` (S3's name, any case) of a body in memory, base64-encoded. A file body
/// is hashed by [`of_file`], off the async threads; here it is refused.
pub fn of_body(algorithm: &str, body: &PreparedBody) -> Result<String, String> {
    let mut hasher = Hasher::new(algorithm)?;
    match body {
        PreparedBody::Empty => {}
        PreparedBody::Bytes(b) => hasher.update(b),
        PreparedBody::File { path, .. } => {
            return Err(format!(
                "{}: a file body is hashed by checksum::of_file",
                path.display()
            ))
        }
    }
    Ok(hasher.finish())
}

/// What one read of a file body gave.
#[derive(Debug, Default)]
pub struct FileDigests {
    /// SHA-256, hex, for signing the payload.
    pub sha256_hex: Option<String>,
    /// The flexible checksum asked for, base64-encoded.
    pub checksum: Option<String>,
}

/// Read `len` bytes of `path` from `offset` once (blocking: call it from a blocking thread), computing
/// the payload's SHA-256 when `sha256` and the checksum `algorithm` when given.
pub fn of_file(
    path: &Path,
    offset: u64,
    len: u64,
    sha256: bool,
    algorithm: Option<&str>,
) -> Result<FileDigests, crate::error::Error> {
    let file_error = |source| crate::error::Error::File {
        path: path.to_path_buf(),
        source,
    };
    let mut checksum = match algorithm {
        Some(a) => Some(Hasher::new(a).map_err(crate::error::Error::InvalidInput)?),
        None => None,
    };
    let mut payload = sha256.then(sha2::Sha256::new);
    let mut file = std::fs::File::open(path).map_err(file_error)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset)).map_err(file_error)?;
    let mut reader = file.take(len);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(file_error)?;
        if n == 0 {
            break;
        }
        if let Some(h) = &mut checksum {
            h.update(&buf[..n]);
        }
        if let Some(h) = &mut payload {
            h.update(&buf[..n]);
        }
    }
    Ok(FileDigests {
        sha256_hex: payload.map(|h| hex::encode(h.finalize())),
        checksum: checksum.map(Hasher::finish),
    })
}

enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Md5(md5::Md5),
}

impl Hasher {
    fn new(algorithm: &str) -> Result<Hasher, String> {
        Ok(match algorithm.to_ascii_uppercase().as_str() {
            "CRC32" => Hasher::Crc32(crc32fast::Hasher::new()),
            "CRC32C" => Hasher::Crc32c(0),
            "CRC64NVME" => Hasher::Crc64(crc64fast_nvme::Digest::new()),
            "SHA1" => Hasher::Sha1(sha1::Sha1::new()),
            "SHA256" => Hasher::Sha256(sha2::Sha256::new()),
            "MD5" => Hasher::Md5(md5::Md5::new()),
            other => {
                return Err(format!(
                    "s3op cannot compute a {other} checksum (it can: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5); give its value with the matching --checksum-… flag"
                ))
            }
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(bytes),
            Hasher::Crc32c(c) => *c = crc32c::crc32c_append(*c, bytes),
            Hasher::Crc64(h) => h.write(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Md5(h) => h.update(bytes),
        }
    }

    fn finish(self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        match self {
            Hasher::Crc32(h) => b64.encode(h.finalize().to_be_bytes()),
            Hasher::Crc32c(c) => b64.encode(c.to_be_bytes()),
            Hasher::Crc64(h) => b64.encode(h.sum64().to_be_bytes()),
            Hasher::Sha1(h) => b64.encode(h.finalize()),
            Hasher::Sha256(h) => b64.encode(h.finalize()),
            Hasher::Md5(h) => b64.encode(h.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(alg: &str, data: &[u8]) -> String {
        of_body(
            alg,
            &PreparedBody::Bytes(bytes::Bytes::copy_from_slice(data)),
        )
        .unwrap_or_default()
    }

    #[test]
    fn known_values() {
        // botocore sends x-amz-checksum-crc32: 7W96eg== for the body "hi\n".
        assert_eq!(of("CRC32", b"hi\n"), "7W96eg==");
        // The standard check values of "123456789".
        assert_eq!(
            of("crc32", b"123456789"),
            base64::engine::general_purpose::STANDARD.encode(0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            of("CRC32C", b"123456789"),
            base64::engine::general_purpose::STANDARD.encode(0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            of("CRC64NVME", b"123456789"),
            base64::engine::general_purpose::STANDARD
                .encode(0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
        assert_eq!(
            of("SHA256", b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(of("SHA1", b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
        assert!(of_body("XXHASH3", &PreparedBody::Empty).is_err());
    }
}
