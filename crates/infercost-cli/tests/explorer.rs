//! The report's explorer in headless Chromium: driven through its controls, `#ic-usd-per-month` equals the JSON
//! at the swept points, re-prices a doubled plan exactly, says when a volume is interpolated, and the scenario it
//! copies plans to the same figure with `infercost plan`; no console errors.

mod browser;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Two volumes on one GPU, no geography, the production day's shape: at 100× the term plans commit to part of
/// the day and burst above it, so their bills depend on two prices.
/// Every rented H100 plan: the page re-prices a bill as GPU-hours × the $/GPU-h entered, which an owned plan's bill
/// (purchase, power and colocation) is not, so the owned plan is left out of this scenario.
const SCENARIO: &str = "[pilot]\ntrace = \"embedded:azure-conv\"\ndiurnal = \"embedded:servegen\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 100]\ngpus = [\"h100-sxm\"]\nplans = [\"aws-h100-on-demand\", \"aws-h100-on-demand-eu\", \"aws-h100-spot\", \"aws-h100-committed-1y\", \"aws-h100-committed-3y\", \"gcp-h100-on-demand\", \"gcp-h100-quoted\", \"gcp-h100-on-demand-eu\", \"gcp-h100-spot\", \"azure-h100-on-demand\", \"azure-h100-spot\", \"lambda-h100-on-demand\", \"vast-h100-marketplace\", \"baremetal-h100-low\", \"baremetal-h100-typical\", \"baremetal-h100-high\", \"baremetal-h100-eu\", \"reserved-h100-dedicated\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";

/// Drives the controls; each step records `data-usd`, the plan shown, the bill's text and the scenario to copy.
const PROBE: &str = "window.addEventListener('load',function(){var out={};\
function read(){return {usd:document.getElementById('ic-usd-per-month').dataset.usd,plan:document.getElementById('ic-plan').textContent,interp:document.getElementById('ic-interp').textContent,bill:document.getElementById('ic-bill').textContent,toml:document.getElementById('ic-toml').value,shown:document.getElementById('ic-usd-per-month').textContent,note:document.getElementById('ic-volume-note').textContent,chart:document.getElementById('ic-chart').textContent};}\
function prices(f){Array.prototype.forEach.call(document.querySelectorAll('input[data-plan]'),function(i){var d=parseFloat(i.defaultValue);set(i.id,String(f(i.dataset.plan,d)));});}\
set('ic-deployment','8b');set('ic-context','1');set('ic-burst','1');\
set('ic-volume','1');out.v1=read();set('ic-volume','100');out.v100=read();set('ic-volume','10');out.v10=read();\
set('ic-volume','5000');out.v5000=read();set('ic-volume','');out.vabc=read();\
set('ic-volume','100');prices(function(p,d){return p==='vast-h100-marketplace'?d*2:d;});out.cheapest2=read();\
prices(function(p,d){return d*2;});out.all2=read();\
prices(function(p,d){return p==='aws-h100-committed-3y'?d:d*3;});out.term=read();\
document.getElementById('ic-reset').click();out.reset=read();report(out);});";

fn micro(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 1e6).round() as i64
}

/// The cheapest lawful bill at a point when `plan`'s $/GPU-h is multiplied by `factor`: its GPU line is its
/// GPU-hours × the new price, rounded to micro-dollars as the planner's bills are.
fn cheapest_with(point: &Value, plan: &str, factor: f64) -> i64 {
    point["bills"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["lawful"].as_bool().unwrap())
        .map(|b| {
            let total = micro(&b["total_usd_per_month"]);
            if b["plan"] == plan {
                let gpu = (b["gpu_hours"].as_f64().unwrap()
                    * (b["usd_per_gpu_hour"].as_f64().unwrap() * factor)
                    * 1e6)
                    .round() as i64;
                total - micro(&b["gpu_usd"]) + gpu
            } else {
                total
            }
        })
        .min()
        .unwrap()
}

/// Plans the scenario the explorer copied and returns the cheapest $/month at its 100× point.
fn replan(dir: &Path, name: &str, toml: &str) -> f64 {
    std::fs::write(dir.join(name), toml).unwrap();
    let (code, out, err) = infercost(&["plan", name, "--json", "--no-progress"], dir);
    assert_eq!(code, 0, "{name} does not plan: {err}\n{toml}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let point = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["volume"] == 100.0)
        .unwrap();
    point["cheapest_usd_per_month"].as_f64().unwrap()
}

#[test]
fn explorer_reprices_the_plan_in_the_page() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("infercost-explorer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    let (code, _, err) = infercost(&["plan", "s.toml", "--out", "out", "--no-progress"], &dir);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    for id in [
        "ic-deployment",
        "ic-volume",
        "ic-context",
        "ic-burst",
        "ic-usd-per-month",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(html.contains("id=\"ic-price-vast-h100-marketplace\""));
    assert!(html.contains("<noscript>") && !html.contains("<script src"));
    let Some(chrome) = browser::chromium() else {
        return;
    };
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    let points = r["points"].as_array().unwrap();
    let at = |v: f64| points.iter().find(|p| p["volume"] == v).unwrap();

    let page = html.replace(
        "</body>",
        &format!("<script>{}{PROBE}</script></body>", browser::PROBE_PRELUDE),
    );
    std::fs::write(dir.join("out/probe.html"), page).unwrap();
    let url = format!("file://{}", dir.join("out/probe.html").display());
    let (text, console) = browser::probe(&chrome, &dir.join("profile"), &url, 5000);
    assert!(console.is_empty(), "console errors: {console:?}");
    let seen: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    let usd = |step: &str| -> f64 { seen[step]["usd"].as_str().unwrap().parse().unwrap() };

    // At the swept points and catalog prices: the JSON's figures, to the bit.
    assert_eq!(
        usd("v1"),
        at(1.0)["cheapest_usd_per_month"].as_f64().unwrap()
    );
    assert_eq!(
        usd("v100"),
        at(100.0)["cheapest_usd_per_month"].as_f64().unwrap()
    );
    assert_eq!(seen["v1"]["interp"], "");
    // Between them: interpolated, and labelled so.
    assert!(seen["v10"]["interp"]
        .as_str()
        .unwrap()
        .contains("interpolated"));
    assert!(usd("v10") > usd("v1") && usd("v10") < usd("v100"));

    // The cheapest plan's price doubled: its GPU line doubles exactly and the cheapest may move to another plan.
    let cheapest = at(100.0)["cheapest_plan"].as_str().unwrap().to_string();
    assert_eq!(cheapest, "vast-h100-marketplace");
    assert_eq!(
        (usd("cheapest2") * 1e6).round() as i64,
        cheapest_with(at(100.0), &cheapest, 2.0)
    );
    // Every price doubled: the same plan stays cheapest, its GPU line exactly twice the JSON's.
    let vast = at(100.0)["bills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["plan"] == cheapest.as_str())
        .unwrap();
    let doubled = (vast["gpu_hours"].as_f64().unwrap()
        * (vast["usd_per_gpu_hour"].as_f64().unwrap() * 2.0)
        * 1e6)
        .round() as i64;
    assert!((doubled - 2 * micro(&vast["gpu_usd"])).abs() <= 1);
    assert!(seen["all2"]["plan"]
        .as_str()
        .unwrap()
        .starts_with(&cheapest));
    let shown = infercost_core::fmt::usd(doubled as f64 / 1e6);
    assert!(
        seen["all2"]["bill"].as_str().unwrap().contains(&shown),
        "{shown}: {}",
        seen["all2"]["bill"]
    );
    // Money reads as the report's text writes it, in the headline and the chart's labels.
    for step in ["v1", "v10", "v100", "cheapest2", "all2"] {
        assert_eq!(
            seen[step]["shown"],
            infercost_core::fmt::usd(usd(step)),
            "{step}"
        );
    }
    let chart = seen["v100"]["chart"].as_str().unwrap();
    assert!(
        chart.contains(&infercost_core::fmt::usd(usd("v100"))),
        "{chart}"
    );
    assert!(
        chart.contains(&infercost_core::fmt::usd(usd("v1"))),
        "{chart}"
    );
    // A volume outside the sweep, or not a number (a number field reads typed letters as empty), shows the clamped figure and says so.
    assert_eq!(usd("v5000"), usd("v100"));
    assert!(
        seen["v5000"]["note"]
            .as_str()
            .unwrap()
            .contains("clamped to the swept range 1×–100×"),
        "{seen}"
    );
    assert_eq!(usd("vabc"), usd("v1"));
    assert!(
        seen["vabc"]["note"]
            .as_str()
            .unwrap()
            .contains("not a number: showing 1×"),
        "{seen}"
    );
    assert_eq!(seen["v10"]["note"], "");

    // The scenario it copies plans to the figure it shows, prices included; with every other price up, the
    // 3-year term plan (committed to part of the day, bursting on a tripled on-demand plan) is re-optimised
    // exactly as the planner does.
    for step in ["cheapest2", "term"] {
        let toml = seen[step]["toml"].as_str().unwrap();
        assert!(toml.contains("volume = [1.0, 100.0]"), "{toml}");
        assert_eq!(
            replan(&dir, &format!("{step}.toml"), toml),
            usd(step),
            "{step}"
        );
    }
    assert!(
        seen["term"]["plan"].as_str().unwrap().contains("committed"),
        "{}",
        seen["term"]["plan"]
    );
    assert_eq!(usd("reset"), usd("v100"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// With geography the chosen serving is a fleet per jurisdiction: a fleet whose plan gets dearer moves to the
/// cheapest plan of its jurisdiction, and the copied scenario plans to the figure shown.
#[test]
fn explorer_moves_a_split_fleet_to_its_jurisdictions_cheapest_plan() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("infercost-explorer-geo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = SCENARIO.replace("volume = [1, 100]", "volume = [1, 10]")
        + "[geography]\nusers = { us = 0.7, eu = 0.3 }\nresidency = { eu = [\"eu\"] }\ncross_region_rtt_ms = 90\n";
    std::fs::write(dir.join("s.toml"), &scenario).unwrap();
    let (code, _, err) = infercost(&["plan", "s.toml", "--out", "out", "--no-progress"], &dir);
    assert_eq!(code, 0, "{err}");
    let Some(chrome) = browser::chromium() else {
        return;
    };
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    let point = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["volume"] == 10.0)
        .unwrap();
    // The us users' fleet: its plan's price doubles.
    let us = point["serving"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["served_in"] == "us")
        .unwrap();
    let plan = us["plan"].as_str().unwrap();
    let probe = format!(
        "window.addEventListener('load',function(){{var out={{}};set('ic-volume','10');\
out.before=document.getElementById('ic-usd-per-month').dataset.usd;\
var i=document.getElementById('ic-price-{plan}');set(i.id,String(parseFloat(i.defaultValue)*2));\
out.after=document.getElementById('ic-usd-per-month').dataset.usd;out.plan=document.getElementById('ic-plan').textContent;\
out.toml=document.getElementById('ic-toml').value;report(out);}});"
    );
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    let page = html.replace(
        "</body>",
        &format!("<script>{}{probe}</script></body>", browser::PROBE_PRELUDE),
    );
    std::fs::write(dir.join("out/probe.html"), page).unwrap();
    let url = format!("file://{}", dir.join("out/probe.html").display());
    let (text, console) = browser::probe(&chrome, &dir.join("profile"), &url, 5000);
    assert!(console.is_empty(), "console errors: {console:?}");
    let seen: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    let usd = |k: &str| -> f64 { seen[k].as_str().unwrap().parse().unwrap() };
    assert_eq!(
        usd("before"),
        point["cheapest_usd_per_month"].as_f64().unwrap()
    );
    assert!(usd("after") > usd("before"));
    let toml = seen["toml"].as_str().unwrap();
    std::fs::write(dir.join("again.toml"), toml).unwrap();
    let (code, out, err) = infercost(&["plan", "again.toml", "--json", "--no-progress"], &dir);
    assert_eq!(code, 0, "{err}\n{toml}");
    let again: Value = serde_json::from_str(&out).unwrap();
    let p = again["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["volume"] == 10.0)
        .unwrap();
    assert_eq!(p["cheapest_usd_per_month"].as_f64().unwrap(), usd("after"));
    assert!(
        seen["plan"]
            .as_str()
            .unwrap()
            .starts_with(p["cheapest_plan"].as_str().unwrap()),
        "{seen}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
