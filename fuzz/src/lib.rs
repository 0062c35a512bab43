//! s3op's fuzz targets, run by libFuzzer (see `README.md`). The targets themselves are in
//! [`targets`], a file the regression tests (`tests/fuzz_regressions.rs`) share; [`seeds`] makes
//! starting inputs from the project's fixtures; [`init`] is what every target binary runs once,
//! before libFuzzer reads its corpus.

pub mod seeds;
pub mod targets;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// When set (by `cargo xtask fuzz`), the directory of the project's test fixtures: seeds are made
/// from them at start-up.
pub const FIXTURES_ENV: &str = "S3OP_FUZZ_FIXTURES";
/// When set with [`FIXTURES_ENV`], the corpus directory the seeds are written to.
pub const SEED_DIR_ENV: &str = "S3OP_FUZZ_SEED_DIR";
/// The directory the `config` target writes its profile files in; default: a directory of this
/// process's own under `/dev/shm` (memory, so the per-run writes stay cheap), else the temp dir.
pub const SCRATCH_ENV: &str = "S3OP_FUZZ_SCRATCH";

/// Run once per process before fuzzing: writes the target's seeds into its corpus when
/// [`FIXTURES_ENV`] and [`SEED_DIR_ENV`] say where. Seeds are named by content, so writing them
/// again on the next run changes nothing.
pub fn init(target: &str) {
    let (Some(fixtures), Some(corpus)) = (
        std::env::var_os(FIXTURES_ENV),
        std::env::var_os(SEED_DIR_ENV),
    ) else {
        return;
    };
    let corpus = Path::new(&corpus);
    if let Err(e) = std::fs::create_dir_all(corpus) {
        eprintln!("s3op-fuzz: cannot create {}: {e}", corpus.display());
        return;
    }
    for seed in seeds::seeds(target, Path::new(&fixtures)) {
        let path = corpus.join(format!("seed-{:016x}", fnv1a(&seed)));
        if let Err(e) = std::fs::write(&path, &seed) {
            eprintln!("s3op-fuzz: cannot write {}: {e}", path.display());
        }
    }
}

/// The scratch directory for the `config` target, created on first use.
pub fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = match std::env::var_os(SCRATCH_ENV) {
            Some(dir) => PathBuf::from(dir),
            None => {
                let shm = Path::new("/dev/shm");
                let base = if shm.is_dir() {
                    shm.to_path_buf()
                } else {
                    std::env::temp_dir()
                };
                base.join(format!("s3op-fuzz-{}", std::process::id()))
            }
        };
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create the scratch directory {}: {e}", dir.display());
        }
        dir
    })
}

/// 64-bit FNV-1a: a stable name for a seed's content.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
