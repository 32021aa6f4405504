//! The line source every text reader shares, and the sink that counts malformed rows.

use crate::IoError;
use std::io::Read;
use std::path::Path;

/// How many malformed rows a report names; the rest are only counted.
const KEPT_ERRORS: usize = 5;

/// Lines of a trace, numbered from 1, with the first non-blank line available before reading starts.
pub(super) struct LineReader<'p, R> {
    inner: R,
    pub(super) path: &'p Path,
    buf: Vec<u8>,
    line_no: u64,
    pending: Option<(u64, Vec<u8>)>,
}

impl<'p, R: std::io::BufRead> LineReader<'p, R> {
    pub(super) fn new(inner: R, path: &'p Path) -> Self {
        LineReader {
            inner,
            path,
            buf: Vec::with_capacity(256),
            line_no: 0,
            pending: None,
        }
    }

    /// The next line without its newline, or None at the end.
    pub(super) fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, IoError> {
        if let Some((n, l)) = self.pending.take() {
            self.buf = l;
            return Ok(Some((n, &self.buf)));
        }
        self.buf.clear();
        let read = self
            .inner
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| IoError::Read {
                path: self.path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.line_no == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        Ok(Some((self.line_no, &self.buf)))
    }

    /// The first non-blank line, which `next_line` will return again.
    pub(super) fn peek_first(&mut self) -> Result<Option<String>, IoError> {
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some((_, l)) if l.iter().all(u8::is_ascii_whitespace) => continue,
                Some((n, l)) => {
                    let text = String::from_utf8_lossy(l).trim().to_string();
                    self.pending = Some((n, l.to_vec()));
                    return Ok(Some(text));
                }
            }
        }
    }

    /// The rest of the text as CSV records, from the first non-blank line on (which `peek_first` must have
    /// found), with the number to add to the reader's line numbers to get the file's. Quoted fields may span
    /// lines; blank lines are skipped; rows may have any number of fields.
    pub(super) fn csv(&mut self) -> Option<(::csv::Reader<Tail<impl Read + '_>>, u64)> {
        let (n, mut first) = self.pending.take()?;
        first.push(b'\n');
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(Tail::new(
                std::io::Cursor::new(first).chain(&mut self.inner),
            ));
        Some((reader, n - 1))
    }
}

/// The CSV reader's buffer.
const CSV_BUFFER: usize = 1 << 16;
/// How many of the last bytes read `Tail` keeps: more than the CSV reader can hold unread.
const TAIL: usize = 2 * CSV_BUFFER;

/// A reader that keeps the last bytes it handed on, so that the byte ending a CSV record can be looked at after
/// the CSV reader has buffered past it.
pub(super) struct Tail<T> {
    inner: T,
    total: u64,
    ring: Vec<u8>,
}

impl<T> Tail<T> {
    fn new(inner: T) -> Self {
        Tail {
            inner,
            total: 0,
            ring: vec![0; TAIL],
        }
    }

    /// The byte before offset `end`, while it is still kept.
    fn byte_before(&self, end: u64) -> Option<u8> {
        if end == 0 || end > self.total || self.total - end >= TAIL as u64 {
            return None;
        }
        self.ring.get(((end - 1) % TAIL as u64) as usize).copied()
    }
}

impl<T: Read> Read for Tail<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut rest = buf.get(..n).unwrap_or_default();
        while !rest.is_empty() {
            let at = (self.total % TAIL as u64) as usize;
            let k = rest.len().min(TAIL - at);
            self.ring[at..at + k].copy_from_slice(&rest[..k]);
            self.total += k as u64;
            rest = &rest[k..];
        }
        Ok(n)
    }
}

/// The line a record just read starts on. The CSV reader dates a record from where the one before ended, which
/// is earlier when blank lines come between; so count back from where it ended instead: past its terminator
/// when that was a line feed (a `\r\n` ends the record at the `\r`) and past the line breaks inside its quoted
/// fields.
pub(super) fn record_line<T: Read>(
    reader: &::csv::Reader<Tail<T>>,
    record: &::csv::ByteRecord,
) -> u64 {
    let before = record.position().map_or(1, |p| p.line());
    let end = reader.position();
    let inside = record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
    let terminator = u64::from(reader.get_ref().byte_before(end.byte()) == Some(b'\n'));
    end.line().saturating_sub(inside + terminator).max(before)
}

pub(super) struct Sink<'a> {
    pub(super) path: &'a Path,
    pub(super) strict: bool,
    pub(super) malformed: u64,
    pub(super) errors: Vec<(u64, String)>,
}

impl Sink<'_> {
    pub(super) fn bad(&mut self, line: u64, message: String) -> Result<(), IoError> {
        if self.strict {
            return Err(IoError::Malformed {
                path: self.path.to_path_buf(),
                line,
                message,
            });
        }
        self.malformed += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push((line, message));
        }
        Ok(())
    }
}
