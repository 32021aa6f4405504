//! The default plan end to end: `plan --example` round-trips to the same JSON, the Markdown matches its
//! snapshot, and the HTML report renders in headless Chromium without console errors with every chart present.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn infercost(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infercost"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const CHARTS: [&str; 11] = [
    "chart-cost-0",
    "chart-cost-1",
    "chart-bill-0",
    "chart-bill-1",
    "chart-attribution",
    "chart-day-0",
    "chart-ttft-0",
    "chart-tpot-0",
    "chart-months",
    "chart-placement",
    "chart-day-1",
];

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

#[test]
fn default_plan_round_trips_and_its_report_renders() {
    let dir = std::env::temp_dir().join(format!("infercost-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (code, example, _) = infercost(&["plan", "--example"], &dir);
    assert_eq!(code, 0);
    std::fs::write(dir.join("my.toml"), &example).unwrap();
    let (code, from_file, err) = infercost(
        &["plan", "my.toml", "--json", "--no-progress", "--out", "out"],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let (code, embedded, _) =
        infercost(&["plan", "--json", "--no-progress", "--threads", "1"], &dir);
    assert_eq!(code, 0);
    assert_eq!(
        from_file, embedded,
        "plan my.toml --json must equal plan --json, for any thread count"
    );
    let v: serde_json::Value = serde_json::from_str(&embedded).unwrap();
    assert_eq!(v["schema_version"], 1);
    for key in [
        "points",
        "attribution",
        "inflections",
        "breakevens",
        "months",
        "placement",
    ] {
        assert!(
            v[key].as_array().is_some_and(|a| !a.is_empty()),
            "{key} is empty"
        );
    }
    let p = &v["points"][0];
    for key in [
        "volume",
        "context",
        "burst",
        "deployment",
        "gpu",
        "tp",
        "replicas_peak",
        "gpu_hours_per_month",
        "utilization",
        "slo_met",
        "bills",
        "cheapest_plan",
    ] {
        assert!(p.get(key).is_some(), "point lacks {key}");
    }
    for a in v["attribution"].as_array().unwrap() {
        let sum = a["volume_usd"].as_f64().unwrap()
            + a["context_usd"].as_f64().unwrap()
            + a["concurrency_usd"].as_f64().unwrap();
        assert!((sum - a["total_growth_usd"].as_f64().unwrap()).abs() < 1e-6);
    }

    // Markdown snapshot; INFERCOST_UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change.
    let md = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    let snap = root().join("tests/snapshots/default_report.md");
    if std::env::var_os("INFERCOST_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snap, &md).unwrap();
    }
    let expected = std::fs::read_to_string(&snap).unwrap_or_default();
    assert!(md == expected, "report.md differs from tests/snapshots/default_report.md; rerun with INFERCOST_UPDATE_SNAPSHOTS=1 if the change is intended");

    // `report` from the saved JSON writes the same files.
    let (code, _, err) = infercost(&["report", "out/report.json", "--out", "again"], &dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("again/report.md")).unwrap(),
        md
    );

    // The HTML is self-contained: no script loaded from elsewhere (the explorer's is inline), no external
    // references, every chart an inline <svg>.
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(
        !html.contains("<script src")
            && !html.contains("src=\"http")
            && !html.contains("href=\"http")
            && !html.contains("@import")
    );
    for id in CHARTS {
        assert!(
            html.contains(&format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\""
            )),
            "{id} missing"
        );
    }

    let Some(browser) = chromium() else {
        if std::env::var_os("INFERCOST_REQUIRE_CHROMIUM").is_some() {
            panic!("INFERCOST_REQUIRE_CHROMIUM is set but no Chromium was found");
        }
        // Written to the process's stderr directly so the test harness does not swallow it.
        let _ = writeln!(std::io::stderr(), "\nNOTE: the headless-Chromium check of report.html did not run: no /usr/bin/chromium. Install it (apt-get install chromium) and rerun `cargo test -p infercost-cli --test report`.\n");
        return;
    };
    let profile = dir.join("chromium-profile");
    let url = format!("file://{}", dir.join("out/report.html").display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let shot = dir.join("out/report.png");
    let out = Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,5000")
        .arg(&url)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        shot.exists() && std::fs::metadata(&shot).unwrap().len() > 10_000,
        "no screenshot: {log}"
    );
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:?}"
    );
    let dom = Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in CHARTS {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} not in the rendered DOM"
        );
    }
    let keep = root().join("target/report-screenshot.png");
    let _ = std::fs::copy(&shot, &keep);
    let _ = writeln!(
        std::io::stderr(),
        "screenshot of the rendered report: {}",
        keep.display()
    );
}
