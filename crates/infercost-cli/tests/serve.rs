//! `infercost serve` end to end on a loopback port: a good upload answers the plan JSON and its downloads, a bad
//! log and a bad scenario answer 400 with the command line's message, an upload over the limit is refused before
//! it is read, nothing is left in the temporary folder, and the page plans an upload in headless Chromium.

mod browser;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

const SCENARIO: &str = "[pilot]\ntrace = \"pilot.csv\"\ndiurnal = \"flat\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";

/// The server, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infercost"))
        .args(["serve", "--port", "0", "--max-upload-mb", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("infercost serve: http://")
        .trim_end_matches('/')
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    Server { child, addr }
}

/// One request; the status, the head and the body.
fn request(addr: &str, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (h, b) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = h.split_whitespace().nth(1).unwrap_or("0").parse().unwrap();
    (status, h.to_string(), b.to_string())
}

fn get(addr: &str, path: &str) -> (u16, String, String) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
        b"",
    )
}

/// Posts a trace and a scenario as a browser's form does.
fn upload(
    addr: &str,
    trace: (&str, &[u8]),
    scenario: (&str, &str),
    token: bool,
) -> (u16, String, String) {
    let b = "----infercostTestBoundary";
    let mut body = Vec::new();
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"trace\"; filename=\"{}\"\r\nContent-Type: text/csv\r\n\r\n", trace.0).bytes());
    body.extend(trace.1);
    body.extend(format!("\r\n--{b}\r\nContent-Disposition: form-data; name=\"scenario\"; filename=\"{}\"\r\n\r\n{}\r\n--{b}--\r\n", scenario.0, scenario.1).bytes());
    // A browser names the sending page's site; curl and scripts send no Origin.
    let token = if token {
        ""
    } else {
        "Origin: http://elsewhere.example\r\n"
    };
    let head = format!(
        "POST /api/plan HTTP/1.1\r\nHost: {addr}\r\n{token}Content-Type: multipart/form-data; boundary={b}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    request(addr, &head, &body)
}

/// What `infercost plan` prints on stderr for this scenario and trace, run from their folder.
fn cli_error(dir: &Path, trace: (&str, &[u8]), scenario: (&str, &str)) -> String {
    std::fs::write(dir.join(trace.0), trace.1).unwrap();
    std::fs::write(dir.join(scenario.0), scenario.1).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_infercost"))
        .args(["plan", scenario.0, "--no-progress"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).trim_end().to_string()
}

fn leftovers(pid: u32) -> Vec<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("infercost-serve-{pid}-"))
            })
        })
        .collect()
}

#[test]
fn serve_plans_uploads_and_refuses_bad_ones() {
    let dir = std::env::temp_dir().join(format!("infercost-serve-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pilot = std::fs::read(root().join("data/traces/azure_conv_2023.csv")).unwrap();
    let server = start(&[]);
    let addr = server.addr.as_str();

    let (status, _, page) = get(addr, "/");
    assert_eq!(status, 200);
    assert!(page.contains("id=\"trace\"") && page.contains("<form"));
    assert_eq!(get(addr, "/nowhere").0, 404);

    // An upload a page of another site sends is refused.
    let (status, _, _) = upload(addr, ("pilot.csv", &pilot), ("s.toml", SCENARIO), false);
    assert_eq!(status, 403);

    // Two uploads at once: one plans while the other waits; both answer the plan.
    let a = addr.to_string();
    let p2 = pilot.clone();
    let second =
        std::thread::spawn(move || upload(&a, ("pilot.csv", &p2), ("s.toml", SCENARIO), true));
    let (status, head, json) = upload(addr, ("pilot.csv", &pilot), ("s.toml", SCENARIO), true);
    assert_eq!(status, 200, "{json}");
    let (status2, head2, _) = second.join().unwrap();
    assert_eq!(status2, 200);
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["points"].as_array().unwrap().len(), 2);
    assert_eq!(r["scenario"]["trace"], "pilot.csv");
    let id = |h: &str| {
        h.lines()
            .find_map(|l| l.strip_prefix("X-Infercost-Result: "))
            .unwrap()
            .to_string()
    };
    assert_ne!(id(&head), id(&head2));
    let base = format!("/api/result/{}/", id(&head));
    let (status, _, html) = get(addr, &format!("{base}report.html"));
    assert_eq!(status, 200);
    assert!(html.contains("id=\"ic-usd-per-month\""));
    assert_eq!(get(addr, &format!("{base}report.json")).2, json);
    assert!(get(addr, &format!("{base}report.md")).2.starts_with('#'));
    assert!(get(addr, &format!("{base}focus.csv"))
        .2
        .contains("BilledCost"));

    // A bad log and a bad scenario: 400 and what the command line says.
    let bad = ("bad.csv", b"bad,log\n1,2\n".as_slice());
    let scenario = SCENARIO.replace("pilot.csv", "bad.csv");
    let (status, _, body) = upload(addr, bad, ("s.toml", &scenario), true);
    assert_eq!(status, 400);
    assert_eq!(body, cli_error(&dir, bad, ("s.toml", &scenario)));
    let broken = SCENARIO.replace("[sweep]", "[sweep]\nvolumes = [3]");
    // A bad scenario is refused as it arrives, not after the plan running now: while a larger plan runs.
    let a = addr.to_string();
    let (p2, big) = (
        pilot.clone(),
        SCENARIO.replace("[1, 2]", "[1, 2, 4, 8, 16, 32, 64]"),
    );
    let running =
        std::thread::spawn(move || upload(&a, ("pilot.csv", &p2), ("s.toml", &big), true));
    while !get(addr, "/api/progress").2.contains("\"running\":true") {
        assert!(
            !running.is_finished(),
            "the plan ended before it was seen running"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, _, body) = upload(addr, ("pilot.csv", &pilot), ("s.toml", &broken), true);
    assert_eq!(status, 400);
    assert!(
        !running.is_finished(),
        "the bad scenario waited behind the running plan"
    );
    assert_eq!(running.join().unwrap().0, 200);
    assert_eq!(
        body,
        cli_error(&dir, ("pilot.csv", &pilot), ("s.toml", &broken))
    );
    let (_, _, progress) = get(addr, "/api/progress");
    assert!(progress.contains("\"stage\":\"idle\""), "{progress}");

    // Over the limit (1 MiB here): refused from its Content-Length, before the body is read.
    let head = format!("POST /api/plan HTTP/1.1\r\nHost: {addr}\r\nX-Infercost: 1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n", 2 << 20);
    let (status, _, body) = request(addr, &head, b"");
    assert_eq!(status, 413);
    assert!(body.contains("--max-upload-mb"), "{body}");

    assert_eq!(leftovers(server.child.id()), Vec::<PathBuf>::new());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Drives the page: picks a log (a slice of the embedded trace) and a small scenario, plans, opens the report and
/// reads its explorer; then a bad log shows the CLI's message.
#[test]
fn serve_page_plans_in_a_browser() {
    let Some(chrome) = browser::chromium() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("infercost-serve-page-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pilot = std::fs::read_to_string(root().join("data/traces/azure_conv_2023.csv")).unwrap();
    let slice: String = pilot.lines().take(3000).map(|l| format!("{l}\n")).collect();
    let probe = format!(
        "{}\nvar TRACE={};var SCENARIO={};{}",
        browser::PROBE_PRELUDE,
        serde_json::Value::String(slice),
        serde_json::Value::String(SCENARIO.into()),
        include_str!("serve_probe.js")
    );
    std::fs::write(dir.join("probe.js"), probe).unwrap();
    let server = start(&["--page-script", dir.join("probe.js").to_str().unwrap()]);
    let url = format!("http://{}/", server.addr);
    let (text, console) = browser::probe(&chrome, &dir.join("profile"), &url, 120_000);
    assert!(console.is_empty(), "console errors: {console:?}");
    let seen: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    assert!(
        seen["state"]
            .as_str()
            .unwrap()
            .starts_with("planned 2 points"),
        "{seen}"
    );
    let links = seen["downloads"].as_str().unwrap();
    for f in ["report.html", "report.md", "report.json", "focus.csv"] {
        assert!(links.contains(f), "{links}");
    }
    let usd: f64 = seen["usd"].as_str().unwrap().parse().unwrap();
    assert!(usd > 0.0, "{seen}");
    assert!(
        seen["bad"]
            .as_str()
            .unwrap()
            .contains("cannot tell the trace format"),
        "{seen}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
