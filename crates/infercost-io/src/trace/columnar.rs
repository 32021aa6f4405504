//! The Parquet reader: streams a file's rows, one row group at a time, as CSV lines into the CSV reader, so
//! columns, `--col-*`, `--time-unit`, `--where` and malformed-row counting behave as they do for CSV.
//!
//! Going through CSV text costs a formatting step per row, but keeps one set of rules for every tabular format;
//! Parquet logs are pilot-sized (millions of rows), not the tens of millions the byte-level readers are tuned for.

use super::{detect, read_lines, Format, LineReader, ReadOptions, ReadReport, TimeUnit};
use crate::IoError;
use infercost_core::Workload;
use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::Field;
use std::path::Path;

/// Reads a Parquet trace from a file or from bytes in memory.
pub(super) fn read_parquet<R: ChunkReader + 'static>(
    source: R,
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
    let invalid = |e: parquet::errors::ParquetError| IoError::Invalid {
        path: path.to_path_buf(),
        message: format!("not a readable Parquet file: {e}"),
    };
    let reader = SerializedFileReader::new(source).map_err(invalid)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let fields = schema.root_schema().get_fields();
    let names: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
    let header = names.iter().map(|n| cell(n)).collect::<Vec<_>>().join(",");
    // The columns' names pick the format as a CSV header would; names no CSV format has are read as generic CSV
    // (`timestamp`, `input_length`, `output_length` unless `--col-*` says otherwise).
    let format = match detect(&header, path) {
        Ok(
            f @ (Format::Azure
            | Format::Vidur
            | Format::Lengths
            | Format::LiteLlm
            | Format::BurstGpt),
        ) => f,
        _ => Format::Csv,
    };
    let time_col = opts.columns.time.as_deref().unwrap_or(match format {
        Format::Azure => "TIMESTAMP",
        Format::Vidur => "arrived_at",
        Format::LiteLlm => "startTime",
        Format::BurstGpt => "Timestamp",
        _ => "timestamp",
    });
    // A timestamp column carries its own unit; its values are written as date-times, so `--time-unit` does not
    // apply to it.
    let time_is_timestamp = fields.iter().any(|f| {
        f.name() == time_col
            && f.is_primitive()
            && (f.get_physical_type() == PhysicalType::INT96
                || matches!(
                    f.get_basic_info().converted_type(),
                    ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS
                ))
    });
    let inner = ReadOptions {
        format,
        time_unit: if time_is_timestamp {
            Some(TimeUnit::Rfc3339)
        } else {
            opts.time_unit
        },
        ..opts.clone()
    };
    let rows = RowIter::from_file_into(Box::new(reader));
    let text = RowText {
        rows,
        line: format!("{header}\n").into_bytes(),
        pos: 0,
    };
    let lines = LineReader::new(std::io::BufReader::with_capacity(1 << 16, text), path);
    let (w, mut report) = read_lines(lines, path, &inner)?;
    report.format = Format::Parquet;
    Ok((w, report))
}

/// A Parquet file's rows as CSV text: the column names, then one line per row.
struct RowText {
    rows: RowIter<'static>,
    line: Vec<u8>,
    pos: usize,
}

impl std::io::Read for RowText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.line.len() {
            let Some(row) = self.rows.next() else {
                return Ok(0);
            };
            let row = row.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            self.line.clear();
            self.pos = 0;
            for (i, (_, field)) in row.get_column_iter().enumerate() {
                if i > 0 {
                    self.line.push(b',');
                }
                self.line.extend_from_slice(cell(&value(field)).as_bytes());
            }
            self.line.push(b'\n');
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A value as the CSV reader expects it: numbers as digits, timestamps as UTC date-times, null as empty.
fn value(field: &Field) -> String {
    match field {
        Field::Null => String::new(),
        Field::Str(s) => s.clone(),
        Field::Bool(b) => b.to_string(),
        Field::Byte(v) => v.to_string(),
        Field::Short(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::Long(v) => v.to_string(),
        Field::UByte(v) => v.to_string(),
        Field::UShort(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::ULong(v) => v.to_string(),
        Field::Float(v) => v.to_string(),
        Field::Double(v) => v.to_string(),
        Field::TimestampMillis(ms) => datetime(*ms as i128 * 1_000_000),
        Field::TimestampMicros(us) => datetime(*us as i128 * 1_000),
        Field::Date(days) => datetime(*days as i128 * 86_400_000_000_000),
        other => other.to_string(),
    }
}

/// One CSV cell: quoted when it holds a comma or a quote; line breaks become spaces, since a row is one line.
fn cell(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Nanoseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.fffffffffZ`, which `parse_datetime_ns` reads back.
fn datetime(ns: i128) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let (days, sod) = (secs.div_euclid(86_400) as i64, secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::parse_datetime_ns;

    #[test]
    fn datetimes_round_trip_through_text() {
        for ns in [
            0i128,
            1_700_000_000_123_456_789,
            951_782_400_000_000_000,
            -86_400_000_000_000,
        ] {
            assert_eq!(
                parse_datetime_ns(&datetime(ns)),
                Some(ns),
                "{}",
                datetime(ns)
            );
        }
        assert_eq!(datetime(0), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn cells_quote_commas_and_quotes() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "two lines");
    }

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/mooncake_20.parquet"
    );
    const SOURCE: &str = include_str!("../../../../tests/data/mooncake_100.jsonl");
    const MODELS: [&str; 2] = ["llama-3.1-8b", "llama-3.1-70b"];

    /// Writes the fixture: the first 20 rows of `mooncake_100.jsonl` with `timestamp` as TIMESTAMP_MILLIS,
    /// `input_length` as INT32, `output_length` as DOUBLE, plus a `model` string (alternating) and a `tenant`
    /// INT64 (row % 3), in two row groups of 10, snappy-compressed.
    fn write_fixture(path: &Path) {
        use parquet::basic::Compression;
        use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use std::sync::Arc;
        let rows: Vec<serde_json::Value> = SOURCE
            .lines()
            .take(20)
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(
                "message trace { required int64 timestamp (TIMESTAMP_MILLIS); required int32 input_length; \
                 required double output_length; required binary model (UTF8); required int64 tenant; }",
            )
            .unwrap(),
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by("infercost-io tests (write_fixture)".into())
                .build(),
        );
        let file = std::fs::File::create(path).unwrap();
        let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
        for (g, group) in rows.chunks(10).enumerate() {
            let num = |k: &'static str| group.iter().map(move |r| r[k].as_f64().unwrap());
            let mut rg = writer.next_row_group().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            let t: Vec<i64> = num("timestamp").map(|v| v as i64).collect();
            c.typed::<Int64Type>().write_batch(&t, None, None).unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            let i: Vec<i32> = num("input_length").map(|v| v as i32).collect();
            c.typed::<Int32Type>().write_batch(&i, None, None).unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            let o: Vec<f64> = num("output_length").collect();
            c.typed::<DoubleType>().write_batch(&o, None, None).unwrap();
            c.close().unwrap();
            let n = group.len();
            let mut c = rg.next_column().unwrap().unwrap();
            let m: Vec<ByteArray> = (0..n)
                .map(|k| ByteArray::from(MODELS[(g * 10 + k) % 2]))
                .collect();
            c.typed::<ByteArrayType>()
                .write_batch(&m, None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            let tenant: Vec<i64> = (0..n).map(|k| ((g * 10 + k) % 3) as i64).collect();
            c.typed::<Int64Type>()
                .write_batch(&tenant, None, None)
                .unwrap();
            c.close().unwrap();
            rg.close().unwrap();
        }
        writer.close().unwrap();
    }

    /// Rewrites `tests/data/mooncake_20.parquet`: `cargo test -p infercost-io --features parquet -- --ignored`.
    #[test]
    #[ignore = "rewrites the committed fixture"]
    fn regenerate_the_parquet_fixture() {
        write_fixture(Path::new(FIXTURE));
    }

    fn source_rows(n: usize) -> Workload {
        let text: String = SOURCE.lines().take(n).map(|l| format!("{l}\n")).collect();
        crate::parse_trace(
            text.as_bytes(),
            Path::new("m.jsonl"),
            &ReadOptions::default(),
        )
        .unwrap()
        .0
    }

    fn lengths_and_times(w: &Workload) -> Vec<(u32, u32, u64)> {
        w.requests
            .iter()
            .map(|r| (r.input_tokens, r.output_tokens, r.arrival.0))
            .collect()
    }

    fn filters(list: &[&str]) -> ReadOptions {
        ReadOptions {
            filters: list
                .iter()
                .map(|f| crate::Where::parse(f).unwrap())
                .collect(),
            ..ReadOptions::default()
        }
    }

    #[test]
    fn the_fixture_reads_as_its_source_rows() {
        let (w, r) = crate::read_trace(Path::new(FIXTURE), &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::Parquet);
        assert_eq!((w.len(), r.malformed_rows, r.filtered_out), (20, 0, 0));
        assert_eq!(lengths_and_times(&w), lengths_and_times(&source_rows(20)));
        // The same bytes in memory, and forced by name.
        let bytes = std::fs::read(FIXTURE).unwrap();
        let forced = ReadOptions {
            format: Format::Parquet,
            ..ReadOptions::default()
        };
        let (w2, _) = crate::parse_trace(&bytes, Path::new("m.bin"), &forced).unwrap();
        assert_eq!(w2.requests, w.requests);
    }

    #[test]
    fn where_filters_string_and_integer_columns() {
        let (w, r) =
            crate::read_trace(Path::new(FIXTURE), &filters(&["model=llama-3.1-70b"])).unwrap();
        assert_eq!((w.len(), r.filtered_out), (10, 10));
        let (w, r) = crate::read_trace(
            Path::new(FIXTURE),
            &filters(&["tenant=0", "model=llama-3.1-8b"]),
        )
        .unwrap();
        // Rows 0, 6, 12 and 18 are tenant 0 and even.
        assert_eq!((w.len(), r.filtered_out), (4, 16));
        let e = crate::read_trace(Path::new(FIXTURE), &filters(&["modle=x"]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--where column \"modle\"") && e.contains("\"tenant\""),
            "{e}"
        );
    }

    #[test]
    fn columns_map_by_name_and_a_numeric_time_takes_the_unit() {
        // Read input as output and output as input, with the tenant (0, 1, 2) as a time in seconds.
        let opts = ReadOptions {
            columns: crate::ColumnMap {
                time: Some("tenant".into()),
                input: Some("output_length".into()),
                output: Some("input_length".into()),
                ..Default::default()
            },
            time_unit: Some(TimeUnit::S),
            ..ReadOptions::default()
        };
        let (w, _) = crate::read_trace(Path::new(FIXTURE), &opts).unwrap();
        let src = source_rows(20);
        assert_eq!(w.len(), 20);
        assert_eq!(w.span().as_secs_f64(), 2.0);
        let mut got: Vec<(u32, u32)> = w
            .requests
            .iter()
            .map(|r| (r.output_tokens, r.input_tokens))
            .collect();
        let mut want: Vec<(u32, u32)> = src
            .requests
            .iter()
            .map(|r| (r.input_tokens, r.output_tokens))
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn a_corrupt_file_is_an_error_that_names_it() {
        let dir = std::env::temp_dir().join(format!("infercost-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("broken.parquet");
        let mut bytes = std::fs::read(FIXTURE).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&bad, &bytes).unwrap();
        let e = crate::read_trace(&bad, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("broken.parquet") && e.contains("not a readable Parquet file"),
            "{e}"
        );
        // The magic alone is enough to try Parquet, whatever the name.
        let magic = dir.join("trace.log");
        std::fs::write(&magic, b"PAR1 not really").unwrap();
        let e = crate::read_trace(&magic, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("trace.log") && e.contains("not a readable Parquet file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
