//! Where a streamed answer's body goes: nowhere (drained so the connection is reused), a caller's
//! writer, or a file written sequentially from an offset (a whole object into its temporary file, or
//! one range of a download into the shared temporary file). File writes gather the chunks hyper hands
//! over (no copy) until about 1 MiB, then write them with one vectored write on a blocking thread
//! through the sink's own handle, positioned once: few system calls, and the async threads never
//! block on the disk. A sink knows how many bytes it has taken, so an interrupted body can be resumed
//! after them or, where that is impossible, started again. A file sink can also compute a checksum
//! of the bytes as they are taken (a download's ranges are checked without reading them back).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::Error;

/// How many bytes a file sink gathers before writing them.
const BLOCK: usize = 1024 * 1024;

/// The destination of a streamed body.
pub(crate) enum Sink<'w> {
    /// The caller wants no body (`send()` of a GetObject): read and dropped.
    Discard,
    /// A caller's writer; bytes given to it cannot be taken back.
    Writer(&'w mut (dyn AsyncWrite + Unpin + Send)),
    /// A file written from an offset.
    File(FileSink),
}

impl Sink<'_> {
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), Error> {
        match self {
            Sink::Discard => Ok(()),
            Sink::Writer(w) => w.write_all(&chunk).await.map_err(stdout_error),
            Sink::File(f) => f.write(chunk).await,
        }
    }

    /// Everything taken so far is written.
    pub async fn finish(&mut self) -> Result<(), Error> {
        match self {
            Sink::Discard => Ok(()),
            Sink::Writer(w) => w.flush().await.map_err(stdout_error),
            Sink::File(f) => f.finish().await,
        }
    }

    /// Forget what was taken and start again from the first byte; false when that is impossible (a
    /// writer already given bytes).
    pub fn restart(&mut self, taken: u64) -> bool {
        match self {
            Sink::Discard => true,
            Sink::Writer(_) => taken == 0,
            Sink::File(f) => {
                f.restart();
                true
            }
        }
    }
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::File {
        path: PathBuf::from("-"),
        source,
    }
}

/// Bytes written in order into an existing file from `offset`.
pub(crate) struct FileSink {
    path: PathBuf,
    offset: u64,
    /// Set the file's length to what was written when done (a whole object, not a range).
    truncate: bool,
    file: Option<std::fs::File>,
    pending: Vec<Bytes>,
    pending_len: usize,
    written: u64,
    /// The handle must be positioned at `offset + written` before the next write.
    seek_needed: bool,
    /// The checksum of the bytes taken, when asked for.
    hasher: Option<(crate::checksum::Algorithm, crate::checksum::Hasher)>,
}

impl FileSink {
    /// One range of a file: bytes go at `offset` onwards; the rest of the file is left alone.
    pub fn range(path: &Path, offset: u64) -> Self {
        FileSink {
            path: path.to_path_buf(),
            offset,
            truncate: false,
            file: None,
            pending: Vec::new(),
            pending_len: 0,
            written: 0,
            seek_needed: true,
            hasher: None,
        }
    }

    /// Also compute `algorithm`'s checksum of the bytes taken (see [`FileSink::checksum`]).
    pub fn hashing(mut self, algorithm: Option<crate::checksum::Algorithm>) -> Self {
        self.hasher = algorithm.map(|a| (a, crate::checksum::Hasher::new(a)));
        self
    }

    /// The checksum of every byte taken (base64), when the sink was asked to compute one.
    pub fn checksum(&mut self) -> Option<String> {
        self.hasher.take().map(|(_, h)| h.finish())
    }

    /// A whole file: bytes from the start, and the file ends where they end.
    pub fn whole(path: &Path) -> Self {
        FileSink {
            truncate: true,
            ..FileSink::range(path, 0)
        }
    }

    fn error(&self, source: std::io::Error) -> Error {
        Error::File {
            path: self.path.clone(),
            source,
        }
    }

    /// The sink's own handle on the file, opened the first time it is needed.
    fn take_handle(&mut self) -> Result<std::fs::File, Error> {
        match self.file.take() {
            Some(file) => Ok(file),
            None => std::fs::OpenOptions::new()
                .write(true)
                .open(&self.path)
                .map_err(|e| self.error(e)),
        }
    }

    async fn write(&mut self, chunk: Bytes) -> Result<(), Error> {
        if let Some((_, hasher)) = &mut self.hasher {
            hasher.update(&chunk);
        }
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= BLOCK {
            self.flush_pending().await?;
        }
        Ok(())
    }

    async fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let file = self.take_handle()?;
        let chunks = std::mem::take(&mut self.pending);
        let len = std::mem::take(&mut self.pending_len) as u64;
        let position = self.seek_needed.then_some(self.offset + self.written);
        let file = write_chunks(file, position, chunks)
            .await
            .map_err(|e| self.error(e))?;
        self.seek_needed = false;
        self.written += len;
        self.file = Some(file);
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), Error> {
        self.flush_pending().await?;
        if self.truncate {
            let len = self.offset + self.written;
            let file = self.take_handle()?;
            file.set_len(len).map_err(|e| self.error(e))?;
            self.file = Some(file);
        }
        Ok(())
    }

    fn restart(&mut self) {
        if let Some((algorithm, hasher)) = &mut self.hasher {
            *hasher = crate::checksum::Hasher::new(*algorithm);
        }
        self.pending.clear();
        self.pending_len = 0;
        self.written = 0;
        self.seek_needed = true;
    }
}

/// Write `chunks` in order at `position` (or where the handle stands), on a blocking thread; gives
/// the handle back.
async fn write_chunks(
    mut file: std::fs::File,
    position: Option<u64>,
    chunks: Vec<Bytes>,
) -> std::io::Result<std::fs::File> {
    let task = tokio::task::spawn_blocking(move || {
        use std::io::{IoSlice, Seek, Write};
        if let Some(position) = position {
            file.seek(std::io::SeekFrom::Start(position))?;
        }
        let mut index = 0;
        let mut skip = 0;
        while index < chunks.len() {
            let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&chunks[index][skip..]))
                .chain(chunks[index + 1..].iter().map(|c| IoSlice::new(c)))
                .collect();
            let mut n = file.write_vectored(&slices)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the disk took no bytes",
                ));
            }
            while n > 0 && index < chunks.len() {
                let left = chunks[index].len() - skip;
                if n >= left {
                    n -= left;
                    index += 1;
                    skip = 0;
                } else {
                    skip += n;
                    n = 0;
                }
            }
        }
        Ok(file)
    });
    task.await
        .map_err(|e| std::io::Error::other(format!("the writer thread failed: {e}")))?
}
