//! The report as files: report.json, report.md and report.html in a folder, and every table as a CSV file named
//! by its id.

use crate::html::html;
use crate::markdown::markdown;
use crate::tables::tables;
use infercost_plan::result::PlanResult;
use std::path::{Path, PathBuf};

/// Every table of the report as CSV: (file name, text), the file named by the table's id.
pub fn csv_tables(r: &PlanResult) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    tables(r)
        .iter()
        .map(|t| {
            let base: String =
                t.id.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
            // Ids are unique today; a repeated one must still not overwrite its namesake.
            let mut name = format!("{base}.csv");
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}-{n}.csv");
                n += 1;
            }
            (name, t.csv())
        })
        .collect()
}

/// Writes report.json, report.md and report.html into `dir` (created when missing).
pub fn write_all(r: &PlanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json_string(r)?;
    let files = [
        ("report.json", json),
        ("report.md", markdown(r)),
        ("report.html", html(r)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        written.push(p);
    }
    Ok(written)
}

/// The result as pretty-printed JSON ending in a newline.
fn serde_json_string(r: &PlanResult) -> std::io::Result<String> {
    serde_json::to_string_pretty(r)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;

    #[test]
    fn every_table_is_one_csv_file_named_by_its_id_that_parses_back() {
        let r = small();
        let ts = tables(&r);
        let files = csv_tables(&r);
        assert_eq!(files.len(), ts.len());
        let names: std::collections::BTreeSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names.len(), files.len(), "file names are unique");
        for (t, (name, text)) in ts.iter().zip(&files) {
            assert_eq!(name, &format!("{}.csv", t.id));
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.as_bytes());
            let header = reader.headers().unwrap().clone();
            let extra = usize::from(!t.excluded.is_empty());
            assert_eq!(header.len(), t.header.len() + extra, "{name}");
            assert_eq!(&header[0], t.header[0].as_str());
            let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
            assert_eq!(records.len(), t.rows.len(), "{name}");
            for (row, rec) in t.rows.iter().zip(&records) {
                let cells: Vec<&str> = rec.iter().collect();
                assert_eq!(&cells[..row.len()], &row[..], "{name}");
            }
        }
        // The plans table marks the plans the residency rules forbid.
        let plans = files.iter().find(|f| f.0.starts_with("plans-")).unwrap();
        assert!(plans.1.lines().next().unwrap().ends_with(",excluded"));
        assert!(plans.1.contains(",true\n"));
    }
}
