//! The report's table: an id, a title, a header, rows and the notes under it, written as aligned text for the
//! terminal, GitHub Markdown and CSV (the HTML writer reads the same table).

use crate::csv::push_record;

/// A table of the report, the same in the terminal, Markdown and HTML.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// A stable id: the HTML anchor, and how the HTML report places the table.
    pub id: String,
    /// Title.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
    /// Indices of rows shown for completeness that are not options (plans the residency rules forbid):
    /// struck through, and listed after the options.
    pub excluded: Vec<usize>,
    /// Sentences under the table: what a column means, why rows are struck through.
    pub notes: Vec<String>,
}

impl Table {
    /// A table with its id, title and column names, and no rows yet.
    pub(crate) fn new(id: impl Into<String>, title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            id: id.into(),
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            ..Table::default()
        }
    }

    /// The table as CSV: the header, then the rows as written in the reports (notes and strike-through are left
    /// out; a row excluded from the options ends with `excluded` = `true`).
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let excluded = !self.excluded.is_empty();
        let mut header = self.header.clone();
        if excluded {
            header.push("excluded".to_string());
        }
        push_record(&mut out, header);
        for (i, r) in self.rows.iter().enumerate() {
            let mut row = r.clone();
            if excluded {
                row.push(self.excluded.contains(&i).to_string());
            }
            push_record(&mut out, row);
        }
        out
    }

    /// The table as lines of aligned text, notes below it.
    pub fn text_lines(&self) -> Vec<String> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let pad = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = vec![pad(&self.header)];
        for (i, r) in self.rows.iter().enumerate() {
            let mut line = pad(r);
            if self.excluded.contains(&i) {
                line.push_str("  (excluded)");
            }
            out.push(line);
        }
        out.extend(self.notes.iter().map(|n| format!("  {n}")));
        out
    }

    /// The table in GitHub Markdown; excluded rows are struck through but for their last cell (the reason).
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "| {} |\n|{}\n",
            self.header.join(" | "),
            self.header.iter().map(|_| "---|").collect::<String>()
        );
        for (i, r) in self.rows.iter().enumerate() {
            let strike = self.excluded.contains(&i);
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let c = c.replace('|', "\\|");
                    if strike && k + 1 < r.len() && !c.is_empty() && c != "-" {
                        format!("~~{c}~~")
                    } else {
                        c
                    }
                })
                .collect();
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        for n in &self.notes {
            s.push_str(&format!("\n{n}\n"));
        }
        s
    }
}
