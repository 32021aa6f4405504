//! CSV records as RFC 4180 writes them, shared by the report's tables and the FOCUS rows.

/// Appends one RFC 4180 record (with a bare `\n` line end): a field is quoted when it holds a comma, a quote or a
/// line break.
pub(crate) fn push_record(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push('\n');
}
