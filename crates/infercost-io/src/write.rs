//! Writing a workload as canonical JSONL: `timestamp` (ms), `input_length`, `output_length`, and optional
//! `hash_ids`, `region` and `session_id`, the format Mooncake, BLIS and vLLM's benchmarks read.

use crate::IoError;
use infercost_core::{Workload, NO_REGION, NO_SESSION};
use std::io::Write;
use std::path::Path;

/// Writes the workload as JSONL to `out`.
pub fn write_jsonl_to(w: &Workload, out: &mut impl Write) -> std::io::Result<()> {
    let mut line = String::with_capacity(128);
    for r in &w.requests {
        line.clear();
        let ns = r.arrival.0;
        let ms_whole = ns / 1_000_000;
        let ms_frac = ns % 1_000_000;
        use std::fmt::Write as _;
        if ms_frac == 0 {
            let _ = write!(line, "{{\"timestamp\":{ms_whole}");
        } else {
            let frac = format!("{ms_frac:06}");
            let _ = write!(
                line,
                "{{\"timestamp\":{ms_whole}.{}",
                frac.trim_end_matches('0')
            );
        }
        let _ = write!(
            line,
            ",\"input_length\":{},\"output_length\":{}",
            r.input_tokens, r.output_tokens
        );
        if r.prefix_len > 0 {
            line.push_str(",\"hash_ids\":[");
            for (i, id) in w.prefix_of(r).iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{id}");
            }
            line.push(']');
        }
        if r.region != NO_REGION {
            if let Some(name) = w.regions.get(r.region as usize) {
                let _ = write!(
                    line,
                    ",\"region\":{}",
                    serde_json::Value::from(name.as_str())
                );
            }
        }
        if r.session != NO_SESSION {
            let _ = write!(line, ",\"session_id\":{}", r.session);
        }
        line.push_str("}\n");
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Writes the workload as JSONL to a new file; refuses to replace an existing one unless `force`.
pub fn write_jsonl(w: &Workload, path: &Path, force: bool) -> Result<(), IoError> {
    let werr = |source| IoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = if force {
        std::fs::File::create(path)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
    .map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            IoError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            werr(e)
        }
    })?;
    let mut buf = std::io::BufWriter::with_capacity(1 << 20, file);
    write_jsonl_to(w, &mut buf).map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{parse_trace, ReadOptions};
    use infercost_core::{Request, SimTime};

    #[test]
    fn round_trips_through_the_reader() {
        let mut w = Workload::new();
        let mut r = Request::new(SimTime(1_500_000), 100, 7);
        let (s, l) = w.push_prefix(&[4, 5]);
        r.prefix_start = s;
        r.prefix_len = l;
        r.region = w.region_id("eu-west-1");
        r.session = 3;
        w.requests.push(r);
        w.requests.push(Request::new(SimTime(2_000_000_000), 9, 1));
        let mut out = Vec::new();
        write_jsonl_to(&w, &mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.starts_with("{\"timestamp\":1.5,\"input_length\":100"),
            "{text}"
        );
        let (back, _) = parse_trace(&out, Path::new("x.jsonl"), &ReadOptions::default()).unwrap();
        assert_eq!(back.requests[1].arrival.0, 2_000_000_000 - 1_500_000);
        assert_eq!(back.prefix_of(&back.requests[0]), &[4, 5]);
        assert_eq!(back.regions, vec!["eu-west-1"]);
    }
}
