//! CSV text held in memory (price and calibration tables), read with RFC 4180 quoting: each record with the
//! line it starts on, counting the line breaks inside quoted fields and the blank lines the reader skips.

use csv::StringRecord;

/// The records of a CSV text, one at a time, in one reused buffer.
pub(crate) struct Records<'t> {
    text: &'t str,
    reader: csv::Reader<&'t [u8]>,
    record: StringRecord,
}

impl<'t> Records<'t> {
    /// Every record, the header included; rows may have any number of fields.
    pub(crate) fn new(text: &'t str) -> Self {
        Records {
            text,
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes()),
            record: StringRecord::new(),
        }
    }

    /// The next record and the line (from 1) it starts on, or None at the end.
    pub(crate) fn next_record(&mut self) -> Option<(usize, &StringRecord)> {
        // Text that is valid UTF-8 splits into valid UTF-8 fields and a slice cannot fail to read, so an error
        // cannot happen; it would end the records.
        if !self.reader.read_record(&mut self.record).ok()? {
            return None;
        }
        // The reader dates a record from where the one before ended; count back from where this one ended:
        // past its terminator when that was a line feed (a `\r\n` ends the record at the `\r`) and past the line
        // breaks inside its quoted fields.
        let before = self.record.position().map_or(1, |p| p.line());
        let end = self.reader.position();
        let inside = self
            .record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>() as u64;
        let terminator = end
            .byte()
            .checked_sub(1)
            .and_then(|i| self.text.as_bytes().get(i as usize))
            == Some(&b'\n');
        let line = end
            .line()
            .saturating_sub(inside + u64::from(terminator))
            .max(before);
        Some((line as usize, &self.record))
    }
}

/// Whether a record is a line of nothing but whitespace.
pub(crate) fn is_blank(record: &StringRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_name_the_line_they_start_on() {
        let text = "h,i\n\n\"a\nb\",1\r\nc,2\r\n\r\nd,3";
        let mut r = Records::new(text);
        let mut seen = Vec::new();
        while let Some((line, rec)) = r.next_record() {
            seen.push((line, rec.get(0).unwrap_or("").to_string()));
        }
        assert_eq!(
            seen,
            [(1, "h"), (3, "a\nb"), (5, "c"), (7, "d")].map(|(l, s)| (l, s.to_string()))
        );
    }
}
