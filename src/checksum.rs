//! S3's flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5), base64-encoded as the
//! `x-amz-checksum-*` headers carry them: computed over a body in memory or streamed from a file
//! ([`Hasher`], [`of_body`], [`of_file`]); CRCs of consecutive pieces combined into the CRC of the
//! whole without reading the bytes again ([`combine`]: how parallel parts and ranges give a
//! full-object checksum); and S3's composite checksum of a multipart object ([`composite`]).

use std::io::Read;
use std::path::Path;

use base64::Engine;
use md5::Digest as _;

use crate::client::prepare::PreparedBody;

/// The checksum `algorithm` (S3's name, any case) of a body in memory, base64-encoded. A file body
/// is hashed by [`of_file`], off the async threads; here it is refused.
pub fn of_body(algorithm: &str, body: &PreparedBody) -> Result<String, String> {
    let mut hasher = Inner::by_name(algorithm)?;
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
        Some(a) => Some(Inner::by_name(a).map_err(crate::error::Error::InvalidInput)?),
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
        checksum: checksum.map(Inner::finish),
    })
}

/// The checksum algorithms S3 stores (MD5 is only ever `Content-MD5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    /// Every algorithm, CRCs first.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc64Nvme,
        Algorithm::Crc32c,
        Algorithm::Crc32,
        Algorithm::Sha256,
        Algorithm::Sha1,
    ];

    /// S3's name: `CRC64NVME`, `CRC32C`, `CRC32`, `SHA256`, `SHA1`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// By S3's name, any case.
    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The header the value travels in: `x-amz-checksum-crc64nvme`.
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    /// The request member that carries the value (`ChecksumCRC64NVME`).
    pub fn member(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "ChecksumCRC32",
            Algorithm::Crc32c => "ChecksumCRC32C",
            Algorithm::Crc64Nvme => "ChecksumCRC64NVME",
            Algorithm::Sha1 => "ChecksumSHA1",
            Algorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// A CRC: pieces combine into the whole ([`combine`]), so a multipart object can carry a
    /// full-object checksum.
    pub fn is_crc(self) -> bool {
        matches!(
            self,
            Algorithm::Crc32 | Algorithm::Crc32c | Algorithm::Crc64Nvme
        )
    }

    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }

    /// Whether `value` (base64) decodes to a digest of this algorithm's length.
    pub fn fits(self, value: &str) -> bool {
        base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .is_ok_and(|bytes| bytes.len() == self.digest_len())
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A checksum computed as the bytes go by.
pub struct Hasher(Inner);

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher(match algorithm {
            Algorithm::Crc32 => Inner::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Inner::CrcFast(
                Box::new(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi)),
                4,
            ),
            Algorithm::Crc64Nvme => Inner::CrcFast(
                Box::new(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme)),
                8,
            ),
            Algorithm::Sha1 => Inner::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => Inner::Sha256(sha2::Sha256::new()),
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest, raw (big-endian for CRCs, as S3 encodes them).
    pub fn finish_raw(self) -> Vec<u8> {
        self.0.finish_raw()
    }

    /// The digest, base64-encoded as S3 sends it.
    pub fn finish(self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.finish_raw())
    }
}

/// The base64 CRC of `a` followed by `b`, from the CRC of each and `b`'s length in bytes; `None`
/// for an algorithm that is not a CRC or a value that is not one of its digests.
///
/// ```
/// use s3op::checksum::{combine, Algorithm, Hasher};
/// let of = |bytes: &[u8]| { let mut h = Hasher::new(Algorithm::Crc64Nvme); h.update(bytes); h.finish() };
/// let whole = combine(Algorithm::Crc64Nvme, &of(b"hello "), &of(b"world"), 5);
/// assert_eq!(whole, Some(of(b"hello world")));
/// ```
pub fn combine(algorithm: Algorithm, a: &str, b: &str, b_len: u64) -> Option<String> {
    let (poly, width) = match algorithm {
        Algorithm::Crc32 => (0xEDB8_8320, 32),
        Algorithm::Crc32c => (0x82F6_3B78, 32),
        Algorithm::Crc64Nvme => (0x9A6C_9329_AC4B_C9B5, 64),
        Algorithm::Sha1 | Algorithm::Sha256 => return None,
    };
    let decode = |value: &str| -> Option<u64> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        (bytes.len() == algorithm.digest_len())
            .then(|| bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
    };
    let (a, b) = (decode(a)?, decode(b)?);
    let crc = crc_combine(a, b, b_len, poly, width);
    let bytes = crc.to_be_bytes();
    Some(base64::engine::general_purpose::STANDARD.encode(&bytes[8 - algorithm.digest_len()..]))
}

/// zlib's `crc32_combine`, for any reflected CRC of `width` bits whose initial value and final
/// XOR are all ones (CRC32, CRC32C, CRC64NVME): `a` times x^(8·len) modulo the polynomial, plus `b`.
fn crc_combine(a: u64, b: u64, len: u64, poly: u64, width: u32) -> u64 {
    let top = 1u64 << (width - 1);
    // a·b modulo the polynomial, in the reflected representation (x^0 is the top bit).
    let multiply = |a: u64, mut b: u64| -> u64 {
        let mut product = 0;
        let mut m = top;
        while m != 0 {
            if a & m != 0 {
                product ^= b;
            }
            m >>= 1;
            b = if b & 1 != 0 { (b >> 1) ^ poly } else { b >> 1 };
        }
        product
    };
    // x^(8·len): square x^(2^k) up the bits of 8·len.
    let mut power = top; // x^0
    let mut square = top >> 8; // x^8: one byte
    let mut n = len;
    while n != 0 {
        if n & 1 != 0 {
            power = multiply(square, power);
        }
        square = multiply(square, square);
        n >>= 1;
    }
    multiply(power, a) ^ b
}

/// S3's composite checksum of a multipart object: the algorithm over the parts' raw digests one
/// after another, base64, then `-` and the number of parts. `None` when a part's value is not a
/// digest of the algorithm.
pub fn composite(algorithm: Algorithm, parts: &[String]) -> Option<String> {
    let mut hasher = Hasher::new(algorithm);
    for part in parts {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(part.trim())
            .ok()
            .filter(|raw| raw.len() == algorithm.digest_len())?;
        hasher.update(&raw);
    }
    Some(format!("{}-{}", hasher.finish(), parts.len()))
}

enum Inner {
    Crc32(crc32fast::Hasher),
    /// CRC32C and CRC64NVME (crc-fast: VPCLMULQDQ where the CPU has it, about 22 GiB/s here),
    /// with the digest's length in bytes. Boxed: the state is large, and sinks carry a hasher.
    CrcFast(Box<crc_fast::Digest>, usize),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Md5(md5::Md5),
}

impl Inner {
    /// By name, any case (MD5 included, for `Content-MD5`-style values).
    fn by_name(algorithm: &str) -> Result<Inner, String> {
        if algorithm.eq_ignore_ascii_case("MD5") {
            return Ok(Inner::Md5(md5::Md5::new()));
        }
        match Algorithm::parse(algorithm) {
            Some(a) => Ok(Hasher::new(a).0),
            None => Err(format!(
                "s3op cannot compute a {algorithm} checksum (it can: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5); give its value with the matching --checksum-… flag"
            )),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Inner::Crc32(h) => h.update(bytes),
            Inner::CrcFast(h, _) => h.update(bytes),
            Inner::Sha1(h) => h.update(bytes),
            Inner::Sha256(h) => h.update(bytes),
            Inner::Md5(h) => h.update(bytes),
        }
    }

    fn finish_raw(self) -> Vec<u8> {
        match self {
            Inner::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Inner::CrcFast(h, len) => h.finalize().to_be_bytes()[8 - len..].to_vec(),
            Inner::Sha1(h) => h.finalize().to_vec(),
            Inner::Sha256(h) => h.finalize().to_vec(),
            Inner::Md5(h) => h.finalize().to_vec(),
        }
    }

    fn finish(self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.finish_raw())
    }
}
