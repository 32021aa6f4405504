//! The little HTTP/1.1 that `infercost serve` speaks: one request per connection, a body only with a
//! `Content-Length` (refused before it is read when over the upload limit), answers with a length and `close`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The most header bytes a request may send.
const MAX_HEAD: usize = 64 * 1024;

/// A request as read.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Header names lower-cased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// A header's value by its lower-case name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// An answer with a body of this type.
    pub(crate) fn new(
        status: u16,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A plain-text answer: errors say what went wrong in the CLI's words.
    pub(crate) fn text(status: u16, body: impl Into<String>) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body.into())
    }

    /// Adds a header.
    pub(crate) fn with(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Writes the answer and closes the connection's writing side.
    pub(crate) fn send(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            411 => "Length Required",
            413 => "Content Too Large",
            _ => "Error",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        for (n, v) in &self.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&self.body)?;
        stream.flush()
    }
}

/// What reading a request gave: the request, or an answer to send instead.
pub(crate) enum Incoming {
    Request(Request),
    Refuse(Response),
}

/// Reads one request. A body over `max_body` bytes is refused from its `Content-Length`, before it is read.
pub(crate) fn read_request(stream: &mut TcpStream, max_body: u64) -> std::io::Result<Incoming> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    let mut head_bytes = reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Ok(Incoming::Refuse(Response::text(400, "not an HTTP request")));
    };
    let (method, path) = (method.to_string(), path.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        let n = reader.read_line(&mut h)?;
        head_bytes += n;
        if head_bytes > MAX_HEAD {
            return Ok(Incoming::Refuse(Response::text(
                400,
                "request headers too large",
            )));
        }
        let h = h.trim_end();
        if n == 0 || h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let length = match req.header("content-length") {
        Some(v) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return Ok(Incoming::Refuse(Response::text(400, "bad Content-Length"))),
        },
        None if req.method == "POST" => {
            return Ok(Incoming::Refuse(Response::text(
                411,
                "send the upload with a Content-Length",
            )))
        }
        None => 0,
    };
    if length > max_body {
        return Ok(Incoming::Refuse(Response::text(
            413,
            format!(
                "error: the upload is {:.1} MiB, over this server's limit of {} MiB (--max-upload-mb)",
                length as f64 / (1024.0 * 1024.0),
                max_body / (1024 * 1024)
            ),
        )));
    }
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::with_capacity(length.min(1 << 20) as usize);
    reader.take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Ok(Incoming::Refuse(Response::text(
            400,
            "the upload ended early",
        )));
    }
    req.body = body;
    Ok(Incoming::Request(req))
}

/// After refusing a request whose body is still coming, reads a little of it so the client sees the answer
/// rather than a reset connection, then gives up.
pub(crate) fn drain(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 64 * 1024];
    let mut left: usize = 16 * 1024 * 1024;
    while left > 0 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}
