//! Reading request traces in the formats people have and writing the canonical JSONL.
#![warn(missing_docs)]

pub mod calibration;
mod csv_text;
pub mod diurnal;
pub mod servegen;
pub mod skypilot;
pub mod trace;
pub mod write;

pub use trace::{
    parse_trace, read_trace, ColumnMap, Format, ObservedTiming, ReadOptions, ReadReport, TimeUnit,
    Where, FORMAT_NAMES,
};
pub use write::write_jsonl;

use std::path::PathBuf;
use thiserror::Error;

/// What went wrong reading or writing a file. Every variant names the file; none lets the run continue.
#[derive(Debug, Error)]
pub enum IoError {
    /// The file could not be opened or read (missing, unreadable, not gzip when named .gz).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The output file exists and overwriting was not asked for.
    #[error("{path} already exists; pass --force to overwrite it")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The format could not be recognised from the first line.
    #[error("{path}: cannot tell the trace format from its first line {first_line:?}; expected {expected}")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What the file starts with.
        first_line: String,
        /// The formats that are recognised.
        expected: &'static str,
    },
    /// A column the format needs is missing from the header.
    #[error("{path}: no column {column:?} in the header (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column looked for.
        column: String,
        /// The columns present.
        available: String,
    },
    /// A `--where` column the file does not have.
    #[error("{path}: --where column {column:?} is not in the file (columns: {available})")]
    UnknownWhere {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns (keys, attributes) the file has.
        available: String,
    },
    /// A malformed row with `--strict`.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the row.
        message: String,
    },
    /// No valid row at all.
    #[error("{path}: no valid request rows ({malformed} malformed{first}); expected {expected}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// Rows skipped as malformed.
        malformed: u64,
        /// The first of them, as `; the first, line N: why` (empty when none was malformed).
        first: String,
        /// What a valid row looks like.
        expected: String,
    },
    /// A Parquet file given to a build without the `parquet` feature.
    #[error("{path} is a Parquet file, but this infercost was built without Parquet support; rebuild with `--features parquet`")]
    NoParquet {
        /// The file.
        path: PathBuf,
    },
    /// A file with a structure error that is not a trace row (a diurnal profile, say).
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
