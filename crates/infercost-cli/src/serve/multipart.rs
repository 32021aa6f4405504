//! `multipart/form-data` bodies, as a browser's `FormData` or `curl -F` sends them: the parts' names, file names
//! and bytes.

/// One part of a form.
pub(crate) struct Part {
    /// The form field's name.
    pub(crate) name: String,
    /// The uploaded file's name, when the part is a file.
    pub(crate) filename: Option<String>,
    pub(crate) data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary")).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A `Content-Disposition` parameter (`name="x"`).
fn param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a body, or why it is not a form.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delim, 0).ok_or("the form has no parts")? + delim.len();
    let mut parts = Vec::new();
    let next_delim = [b"\r\n".as_slice(), &delim].concat();
    loop {
        if at + 2 > body.len() {
            return Err("the form ends in the middle of a part".into());
        }
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        at += 2; // the line break after the boundary
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a form part has no end of headers")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).to_string();
        let data_start = head_end + 4;
        let end = find(body, &next_delim, data_start).ok_or("a form part has no end")?;
        let disposition = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.to_string())
            })
            .ok_or("a form part has no Content-Disposition")?;
        parts.push(Part {
            name: param(&disposition, "name").unwrap_or_default(),
            filename: param(&disposition, "filename"),
            data: body[data_start..end].to_vec(),
        });
        at = end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_browsers_form() {
        let ct = "multipart/form-data; boundary=----WebKitFormBoundaryX";
        let b = boundary(ct).unwrap();
        let body = "------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name=\"trace\"; filename=\"pilot.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name=\"scenario\"\r\n\r\n[pilot]\r\n------WebKitFormBoundaryX--\r\n";
        let parts = parse(body.as_bytes(), &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "trace");
        assert_eq!(parts[0].filename.as_deref(), Some("pilot.csv"));
        assert_eq!(parts[0].data, b"a,b\r\n1,2");
        assert_eq!(parts[1].name, "scenario");
        assert_eq!(parts[1].data, b"[pilot]");
        assert!(boundary("text/plain").is_none());
        assert!(parse(b"garbage", &b).is_err());
    }
}
