//! Headless Chromium for the tests that drive a page: find it (or skip, unless `INFERCOST_REQUIRE_CHROMIUM` is
//! set), load a page with a probe script that writes what it saw into a `<pre id="probe">`, and read that back
//! with the console errors.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser, or `None` (with a note on stderr) when there is none and none is required.
pub(crate) fn chromium() -> Option<PathBuf> {
    let found = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("INFERCOST_REQUIRE_CHROMIUM").is_none(),
            "INFERCOST_REQUIRE_CHROMIUM is set but no Chromium was found"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: the headless-Chromium check did not run: no /usr/bin/chromium (apt-get install chromium).\n"
        );
    }
    found
}

/// Loads `url` in headless Chromium with a virtual-time budget and returns the text of `<pre id="probe">` (empty
/// when the page wrote none) and the console errors Chromium logged.
pub(crate) fn probe(
    browser: &Path,
    profile: &Path,
    url: &str,
    budget_ms: u32,
) -> (String, Vec<String>) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg(url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let text = dom
        .split_once("<pre id=\"probe\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(t, _)| {
            t.replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .unwrap_or_default();
    let log = String::from_utf8_lossy(&out.stderr);
    let errors = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (text, errors)
}

/// The probe's common start: collects uncaught errors and offers `set(id, value)`, which sets a control and
/// dispatches `input` and `change` as a user's edit does.
pub(crate) const PROBE_PRELUDE: &str = "window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message));});\
function set(id,v){var e=document.getElementById(id);e.value=v;e.dispatchEvent(new Event('input',{bubbles:true}));e.dispatchEvent(new Event('change',{bubbles:true}));}\
function report(o){o.errors=window.__errors;var p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify(o);document.body.appendChild(p);}";
