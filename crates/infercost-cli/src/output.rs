//! Printing helpers: JSON to stdout, messages and progress to stderr, numbers formatted for people.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

/// A line on stderr. A closed stderr (`infercost … 2>&1 | head -1`) must not turn a message into a panic, so a
/// failed write is ignored: there is nowhere left to say anything.
macro_rules! err_line {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, v)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    stdout_result(written)?;
    Ok(())
}

/// Prints a line on stdout.
pub(crate) fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{s}");
    exit_on_stdout_error(written);
}

/// Text on stdout as it is.
pub(crate) fn raw(s: &str) {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(s.as_bytes()).and_then(|()| out.flush());
    exit_on_stdout_error(written);
}

/// Whether an error comes from writing to a stdout whose reader has gone (`infercost … | head -1`).
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// A closed stdout ends the program quietly with exit code 0, as `rg … | head -1` does: the reader has what it
/// wanted. Other write errors are returned.
fn stdout_result(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// For the printing helpers that return nothing: a closed stdout exits 0, any other failure to write (a full
/// disk behind a redirection) exits 2 with the reason.
fn exit_on_stdout_error(r: std::io::Result<()>) {
    if let Err(e) = stdout_result(r) {
        err_line!("error: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// A warning on stderr.
pub(crate) fn warn(s: &str) {
    err_line!("warning: {s}");
}

/// A note on stderr.
pub(crate) fn note(s: &str) {
    err_line!("{s}");
}

/// Prints an error and its causes, then a hint when one applies.
pub(crate) fn error(e: &anyhow::Error) {
    for l in error_lines(e) {
        err_line!("{l}");
    }
}

/// The lines [`error`] prints: `infercost serve` answers a refused upload with the same text.
pub(crate) fn error_lines(e: &anyhow::Error) -> Vec<String> {
    let top = e.to_string();
    let mut lines = vec![format!("error: {top}")];
    // Library errors already include their cause in their message; print only causes that add something.
    let mut said = top.clone();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !said.contains(&c) {
            lines.push(format!("  caused by: {c}"));
            said.push_str(&c);
        }
    }
    if let Some(h) = hint(e) {
        lines.push(format!("hint: {h}"));
    }
    lines
}

/// What to try next, chosen by the library error behind `e` (whatever context the binary added around it).
fn hint(e: &anyhow::Error) -> Option<&'static str> {
    use infercost_io::IoError;
    use infercost_perf::PerfError;
    use infercost_sim::SimError;
    let fits = "try a larger --tp or --pp, --weights fp8, or a GPU with more memory (`infercost gpu list`)";
    let format =
        "pass --format csv or --format jsonl with --col-time, --col-input and --col-output";
    let too_big = e.chain().any(|c| {
        matches!(c.downcast_ref(), Some(PerfError::DoesNotFit { .. }))
            || matches!(
                c.downcast_ref(),
                Some(SimError::Perf(PerfError::DoesNotFit { .. }))
            )
    });
    let unknown_format = e
        .chain()
        .any(|c| matches!(c.downcast_ref(), Some(IoError::UnknownFormat { .. })));
    if too_big {
        Some(fits)
    } else if unknown_format {
        Some(format)
    } else {
        None
    }
}

/// A progress bar on stderr, shown only on a terminal and unless disabled.
pub(crate) struct Progress {
    enabled: bool,
    label: String,
    last: std::sync::Mutex<usize>,
}

impl Progress {
    /// A bar with a label; `hidden` disables it.
    pub(crate) fn new(label: &str, hidden: bool) -> Progress {
        Progress {
            enabled: !hidden && std::io::stderr().is_terminal(),
            label: label.to_string(),
            last: std::sync::Mutex::new(usize::MAX),
        }
    }

    /// Shows `done` of `total`.
    pub(crate) fn update(&self, done: usize, total: usize) {
        if !self.enabled || total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / total;
        if let Ok(mut last) = self.last.lock() {
            if *last == filled && done != total {
                return;
            }
            *last = filled;
        }
        let _ = write!(
            std::io::stderr().lock(),
            "\r{} [{}{}] {done}/{total}",
            self.label,
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if done == total {
            err_line!("");
        }
    }
}

// Numbers for people are written one way everywhere: the terminal, the reports and the planner's sentences.
pub(crate) use infercost_core::fmt::{int, usd};
