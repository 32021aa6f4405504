//! Telling a trace's format from its first line, and what each format's rows look like.

use super::Format;
use crate::IoError;
use std::path::Path;

pub(super) fn expected_row(f: Format) -> &'static str {
    match f {
        Format::Azure => "rows like `2023-11-16 18:15:46.6805900,374,44` under TIMESTAMP,ContextTokens,GeneratedTokens",
        Format::Mooncake => "lines like {\"timestamp\": 0, \"input_length\": 512, \"output_length\": 64}",
        Format::Vidur => "rows of arrived_at,num_prefill_tokens,num_decode_tokens",
        Format::Lengths => "rows of num_prefill_tokens,num_decode_tokens",
        Format::Csv => "CSV rows with the time, input and output columns given by --col-time/--col-input/--col-output",
        Format::Jsonl | Format::Auto => "JSON objects with the keys given by --col-time/--col-input/--col-output",
        Format::LiteLlm => "LiteLLM_SpendLogs rows with startTime (ISO 8601), prompt_tokens and completion_tokens, as CSV, a JSON array or JSONL",
        Format::Otlp => "OTLP/JSON ExportTraceServiceRequest lines whose spans carry gen_ai.usage.input_tokens and gen_ai.usage.output_tokens",
        Format::BurstGpt => "rows of Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
        Format::Parquet => "Parquet rows with timestamp, input_length and output_length columns (or another CSV format's), or the columns given by --col-time/--col-input/--col-output",
    }
}

const KNOWN: &str = "an Azure (TIMESTAMP,ContextTokens,GeneratedTokens), Vidur (arrived_at,num_prefill_tokens,num_decode_tokens), lengths (num_prefill_tokens,num_decode_tokens), BurstGPT (Timestamp,Model,Request tokens,Response tokens,...) or LiteLLM spend log (startTime,prompt_tokens,completion_tokens,...) CSV header, a JSON array of LiteLLM spend logs, or a JSON object per line; use --format csv|jsonl with --col-* for other files";

pub(super) fn detect(first: &str, path: &Path) -> Result<Format, IoError> {
    if first.starts_with('[') {
        // The only JSON-array format: LiteLLM's spend-log export.
        return Ok(Format::LiteLlm);
    }
    if first.starts_with('{') {
        return Ok(if first.contains("\"resourceSpans\"") {
            Format::Otlp
        } else if first.contains("\"input_length\"") {
            Format::Mooncake
        } else if first.contains("\"startTime\"") && first.contains("\"prompt_tokens\"") {
            Format::LiteLlm
        } else {
            Format::Jsonl
        });
    }
    let cols: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let has = |c: &str| cols.contains(&c);
    if has("TIMESTAMP") && has("ContextTokens") && has("GeneratedTokens") {
        Ok(Format::Azure)
    } else if has("arrived_at") && has("num_prefill_tokens") && has("num_decode_tokens") {
        Ok(Format::Vidur)
    } else if has("num_prefill_tokens") && has("num_decode_tokens") {
        Ok(Format::Lengths)
    } else if has("startTime") && has("prompt_tokens") && has("completion_tokens") {
        Ok(Format::LiteLlm)
    } else if has("Timestamp") && has("Request tokens") && has("Response tokens") {
        Ok(Format::BurstGpt)
    } else {
        Err(IoError::UnknownFormat {
            path: path.to_path_buf(),
            first_line: first.chars().take(120).collect(),
            expected: KNOWN,
        })
    }
}

/// Whether the first line opens JSON (an object per line or an array) rather than a CSV header.
pub(super) fn is_json(first: &str) -> bool {
    first.starts_with('{') || first.starts_with('[')
}
