//! Splitting one CSV line into fields, with RFC 4180 double quotes. The readers use the `csv` crate; this is
//! left for the report's tests, which read the CSV tables they write back one line at a time.

use std::borrow::Cow;

/// Splits `line` at commas into `out`, honouring double quotes (and `""` inside them) only when the line has any,
/// so the common unquoted case allocates nothing.
pub fn split<'a>(line: &'a str, out: &mut Vec<Cow<'a, str>>) {
    out.clear();
    if !line.contains('"') {
        out.extend(line.split(',').map(Cow::Borrowed));
        return;
    }
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(Cow::Owned(std::mem::take(&mut field))),
            _ => field.push(c),
        }
    }
    out.push(Cow::Owned(field));
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_protect_commas() {
        let mut v = Vec::new();
        super::split("a,\"b,c\",\"d\"\"e\",", &mut v);
        assert_eq!(v, vec!["a", "b,c", "d\"e", ""]);
        super::split("1,2", &mut v);
        assert_eq!(v, vec!["1", "2"]);
    }
}
