//! The report's explorer: controls that pick a deployment, a volume, a context, a burst and each plan's price, and
//! show the cheapest lawful $/month for the selection. It is built from the plan result alone: this module writes
//! the compact data the page's script needs (a JSON blob), the script and its styles are `explorer.js` and
//! `explorer.css`, inlined so the report still works offline from `file://`. With scripts off the section says so
//! and every static chart above stays as it was.
//!
//! Exactness: a bill's GPU line is GPU-hours × the plan's $/GPU-h for on-demand, spot and term plans without a
//! burst plan (granularity, minimums and spot overhead are already in the billed GPU-hours). A term plan with a
//! burst plan bills committed GPU-hours at its own price and the hours above the commitment at the burst plan's,
//! and the cheapest commitment level moves with the two prices: for those the data carries, per commitment level
//! (the fleet's hourly sizes, as the planner tries them), the committed and the above hours, so the script picks
//! the cheapest level again. Egress, transfer and API lines do not depend on the GPU price and are carried as
//! micro-dollars. The script rounds the GPU line to micro-dollars as the planner does, so at the catalog prices
//! every figure equals the JSON.
//!
//! What is re-priced: every lawful whole-traffic bill of a point without geography (the planner's candidates),
//! and with geography the fleets of the chosen serving, each on its own plan; the other placement options the
//! planner priced are carried at their planned totals, since the result does not record their fleets.

use crate::svg::esc;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Usd;
use infercost_cost::{Bill, Catalog, Plan};
use infercost_plan::result::{PlanResult, Point};
use serde_json::{json, Map, Value};

const JS: &str = include_str!("explorer.js");
const CSS: &str = include_str!("explorer.css");

/// The explorer section: its controls, outputs, data and script, appended to the report's body.
pub(crate) fn section(r: &PlanResult) -> String {
    let data = data(r);
    // Nothing in the data may end the script element early or open a comment in it: inside JSON strings `<\/`
    // and `\u003c` read back as the same text.
    let blob = serde_json::to_string(&data)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/")
        .replace("<!--", "\\u003c!--");
    let plans = plan_list(r);
    let s = &r.scenario;
    let options = |values: &[f64], id: &str, label: &str| {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let opts: String = v
            .iter()
            .map(|x| format!("<option value=\"{x}\">{x}×</option>"))
            .collect();
        format!("<label for=\"ic-{id}\">{label}</label><select id=\"ic-{id}\">{opts}</select>")
    };
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    let (lo, hi) = (
        vols.first().copied().unwrap_or(1.0),
        vols.last().copied().unwrap_or(1.0),
    );
    let deps: String = s
        .deployments
        .iter()
        .map(|d| format!("<option value=\"{0}\">{0}</option>", esc(&d.name)))
        .collect();
    let prices: String = plans
        .iter()
        .map(|(p, price)| {
            format!(
                "<label for=\"ic-price-{0}\">{0}</label><input type=\"number\" id=\"ic-price-{0}\" data-plan=\"{0}\" min=\"0\" step=\"any\" value=\"{price}\">",
                esc(p)
            )
        })
        .collect();
    format!(
        "<style>{CSS}</style><h2 id=\"explorer\">Explore</h2>\
<noscript><p class=\"note\">The explorer needs scripts; every chart and table above is static and complete without them.</p></noscript>\
<div id=\"ic-explorer\" hidden><p class=\"note\">Pick a deployment, a volume between the swept ones, a context, a burst and each plan's price: the cheapest lawful serving is recomputed here from the plan's GPU-hours (between sweep points the cost is interpolated log–log, as the planner does).</p>\
<div class=\"ic-controls\"><label for=\"ic-deployment\">Deployment</label><select id=\"ic-deployment\">{deps}</select>\
<label for=\"ic-volume\">Volume (× pilot, {lo}–{hi})</label><input type=\"number\" id=\"ic-volume\" min=\"{lo}\" max=\"{hi}\" step=\"any\" value=\"{lo}\">\
{ctx}{burst}</div>\
<p class=\"ic-result\">Cheapest lawful: <output id=\"ic-usd-per-month\" data-usd=\"\" aria-live=\"polite\"></output> a month <span id=\"ic-interp\"></span> on <span id=\"ic-plan\"></span></p>\
<button type=\"button\" id=\"ic-copy\">Copy scenario</button> <span id=\"ic-copied\" aria-live=\"polite\"></span>\
<details><summary>Prices ($/GPU-hour)</summary><div class=\"ic-prices\">{prices}</div><button type=\"button\" id=\"ic-reset\">Catalog prices</button></details>\
<h3>Bill</h3><div id=\"ic-bill\"></div><h3>Cost against volume</h3><div id=\"ic-chart\"></div>\
<textarea id=\"ic-toml\" aria-label=\"Scenario TOML\" rows=\"8\" readonly></textarea></div>\
<script type=\"application/json\" id=\"ic-data\">{blob}</script><script>{JS}</script>",
        ctx = options(&s.context, "context", "Context (× prompt length)"),
        burst = options(&s.burst, "burst", "Burst (× peak-to-mean)"),
    )
}

/// The plans whose prices can be changed: those the bills used, at their catalog prices.
fn plan_list(r: &PlanResult) -> Vec<(String, f64)> {
    r.prices_used
        .iter()
        .map(|p| (p.plan.clone(), p.usd_per_gpu_hour))
        .collect()
}

/// A plan by name: the scenario's own prices first, then a shard's catalogs, then the shipped catalog.
fn find_plan<'a>(r: &'a PlanResult, embedded: &'a Catalog, name: &str) -> Option<&'a Plan> {
    r.scenario
        .prices
        .iter()
        .chain(r.catalog.iter().flat_map(|c| &c.plans))
        .chain(&embedded.plans)
        .find(|p| p.name == name)
}

/// Everything the script reads.
fn data(r: &PlanResult) -> Value {
    let s = &r.scenario;
    let embedded = Catalog::embedded();
    let plans = plan_list(r);
    let index = |name: &str| plans.iter().position(|(p, _)| p == name);
    let plan_data: Vec<Value> = plans
        .iter()
        .map(|(name, price)| {
            let plan = find_plan(r, &embedded, name);
            let burst = plan
                .filter(|p| p.commitment.is_term())
                .and_then(|p| p.burst_plan.as_deref())
                .and_then(index);
            json!({"n": name, "p": price, "b": burst, "toml": plan.map(price_toml)})
        })
        .collect();
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (vols, ctxs, bursts) = (sorted(&s.volume), sorted(&s.context), sorted(&s.burst));
    let mut cells = Map::new();
    for (di, d) in s.deployments.iter().enumerate() {
        for (vi, v) in vols.iter().enumerate() {
            for (ci, c) in ctxs.iter().enumerate() {
                for (bi, b) in bursts.iter().enumerate() {
                    let gpus: Vec<Value> = r
                        .points
                        .iter()
                        .filter(|p| {
                            p.deployment == d.name
                                && p.volume == *v
                                && p.context == *c
                                && p.burst == *b
                                && p.cheapest_usd_per_month.is_some()
                        })
                        .map(|p| point(r, p, &plan_data))
                        .collect();
                    cells.insert(format!("{di}|{vi}|{ci}|{bi}"), Value::Array(gpus));
                }
            }
        }
    }
    json!({
        "deps": s.deployments.iter().map(|d| &d.name).collect::<Vec<_>>(),
        "vols": vols, "ctxs": ctxs, "bursts": bursts,
        "plans": plan_data,
        "cells": cells,
        "toml": scenario_toml(r),
    })
}

/// One GPU's point: its candidate servings, each a list of fleets or a planned total.
fn point(r: &PlanResult, p: &Point, plans: &[Value]) -> Value {
    let weights = &r.pilot.diurnal;
    let index = |name: &str| plans.iter().position(|x| x["n"] == name);
    let fleet = |b: &Bill, size: Size| {
        let pi = index(&b.plan)?;
        let burst = plans[pi]["b"]
            .as_u64()
            .and_then(|i| plans.get(i as usize))
            .and_then(|x| x["p"].as_f64());
        Some(fleet(b, pi, burst, weights, size))
    };
    let mut options = Vec::new();
    if p.placement.is_empty() {
        for b in p.bills.iter().filter(|b| b.lawful) {
            let size = Size {
                replicas: p.replicas_peak,
                tp: p.tp,
            };
            if let Some(f) = fleet(&b.bill, size) {
                options.push(json!({"n": b.bill.plan, "pol": b.policy.name(), "f": [f]}));
            }
        }
    } else {
        let fleets: Option<Vec<Value>> = p
            .serving
            .iter()
            .map(|sv| {
                let b = sv.bill.as_ref()?;
                let size = Size {
                    replicas: sv.replicas_peak,
                    tp: sv.tp,
                };
                let mut f = fleet(b, size)?;
                f["u"] = json!(sv.users.join(", "));
                f["in"] = json!(sv.served_in);
                f["pol"] = json!(sv.policy.name());
                Some(f)
            })
            .collect();
        let chosen = p.cheapest_plan.clone().unwrap_or_default();
        if let Some(f) = fleets.filter(|f| !f.is_empty()) {
            options.push(json!({"n": chosen, "f": f}));
        }
        for o in p.placement.iter().filter(|o| o.allowed) {
            let plans: Vec<&str> = o.routes.iter().map(|x| x.plan.as_str()).collect();
            // The chosen option is re-priced above; the others keep their planned totals.
            if Some(o.usd_per_month) == p.cheapest_usd_per_month {
                continue;
            }
            options.push(json!({"n": o.name, "fix": o.usd_per_month,
                "pl": plans.iter().filter_map(|x| index(x)).collect::<Vec<_>>()}));
        }
    }
    json!({"g": p.gpu, "o": options})
}

/// The size of a fleet: replicas at the busiest hour and GPUs per replica.
#[derive(Clone, Copy)]
struct Size {
    replicas: u32,
    tp: u32,
}

/// A fleet's bill as the script re-prices it, or `None` when its plan has no price to change. `burst` is the
/// price of the plan's burst plan when it is a term plan that bursts.
fn fleet(b: &Bill, pi: usize, burst: Option<f64>, weights: &[f64], size: Size) -> Value {
    let mut f = json!({
        "p": pi, "h": b.gpu_hours, "g": b.gpu_usd.0, "e": b.egress_usd.0, "t": b.transfer_usd.0,
        "a": b.api_usd.0, "r": size.replicas, "tp": size.tp,
    });
    if let Some(levels) = burst.and_then(|bp| commitment_levels(b, bp, weights, size)) {
        f["l"] = json!(levels);
    }
    f
}

/// For a term bill that bursts above its commitment: (committed hours, hours above) for every commitment level the
/// planner tries (each hour's autoscaled fleet), when the cheapest of them at the bill's prices reproduces its GPU
/// line; otherwise `None` and the GPU line stays GPU-hours × price.
fn commitment_levels(
    b: &Bill,
    burst_price: f64,
    weights: &[f64],
    size: Size,
) -> Option<Vec<[f64; 2]>> {
    b.committed_gpus?;
    let Size { replicas, tp } = size;
    let (r, tpf) = (replicas as f64, tp as f64);
    let hour_share = HOURS_PER_MONTH / 24.0;
    let autos: Vec<f64> = weights
        .iter()
        .map(|w| ((r * w).ceil() as u32).clamp(1, replicas.max(1)) as f64 * tpf)
        .collect();
    let mut levels: Vec<u32> = weights
        .iter()
        .map(|w| ((r * w).ceil() as u32).clamp(1, replicas.max(1)))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let out: Vec<[f64; 2]> = levels
        .into_iter()
        .map(|l| {
            let commit = l as f64 * tpf;
            let above: f64 = autos
                .iter()
                .map(|g| hour_share * (g - commit).max(0.0))
                .sum();
            [commit * HOURS_PER_MONTH, above]
        })
        .collect();
    let cheapest = out
        .iter()
        .map(|[c, a]| Usd::from_dollars(c * b.usd_per_gpu_hour + a * burst_price))
        .min()?;
    (cheapest == b.gpu_usd).then_some(out)
}

/// A plan as a `[[price]]` entry of a scenario, its price left as `@PRICE@` for the script to fill in.
fn price_toml(p: &Plan) -> String {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("usd_per_gpu_hour".into(), json!("@PRICE@"));
    }
    format!("\n[[price]]\n{}", toml_table(&v)).replace("\"@PRICE@\"", "@PRICE@")
}

/// The scenario's sections as TOML, split where the script puts the selection: `head` ([pilot]), one
/// `[[deployment]]` block per deployment, `gpus` (the sweep's GPUs and plans) and `tail` (the rest).
fn scenario_toml(r: &PlanResult) -> Value {
    let v = serde_json::to_value(&r.scenario).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let mut pilot = Map::new();
    for k in ["trace", "format", "where", "diurnal", "users"] {
        pilot.insert(k.into(), get(k));
    }
    let head = format!(
        "# infercost scenario: the explorer's selection in {}\n[pilot]\n{}",
        esc_toml_comment(&r.pilot.trace),
        toml_table(&Value::Object(pilot))
    );
    let deps: Vec<String> = match get("deployments") {
        Value::Array(a) => a
            .iter()
            .map(|d| format!("\n[[deployment]]\n{}", toml_table(d)))
            .collect(),
        _ => Vec::new(),
    };
    let mut gpus = Map::new();
    gpus.insert("gpus".into(), get("gpus"));
    let plans = get("plans");
    gpus.insert(
        "plans".into(),
        if plans.as_array().is_some_and(|a| a.is_empty()) {
            json!("all")
        } else {
            plans
        },
    );
    let mut tail = String::new();
    tail.push_str(&format!("\n[slo]\n{}", toml_table(&get("slo"))));
    tail.push_str(&format!("\n[engine]\n{}", toml_table(&get("engine"))));
    let mut sim = Map::new();
    sim.insert("seed".into(), get("seed"));
    sim.insert("group_replicas".into(), get("group_replicas"));
    tail.push_str(&format!("\n[sim]\n{}", toml_table(&Value::Object(sim))));
    if !get("geography").is_null() {
        tail.push_str(&format!("\n[geography]\n{}", toml_table(&get("geography"))));
    }
    tail.push_str(&format!(
        "\n[egress_model]\n{}",
        toml_table(&get("egress_model"))
    ));
    json!({"head": head, "deps": deps, "gpus": toml_table(&Value::Object(gpus)), "tail": tail})
}

fn esc_toml_comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A JSON object's fields as `key = value` lines (nulls and empty lists of filters left out).
fn toml_table(v: &Value) -> String {
    let Some(m) = v.as_object() else {
        return String::new();
    };
    m.iter()
        .filter(|(_, x)| !x.is_null())
        .map(|(k, x)| format!("{k} = {}\n", toml_value(x)))
        .collect()
}

/// A JSON value as a TOML value: strings in basic quotes (JSON escapes are TOML's), objects inline.
fn toml_value(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| format!("{} = {}", toml_key(k), toml_value(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Number(n) => match n.as_f64() {
            // TOML wants a float for these fields; 50 and 50.0 both read back as the same number.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_read_back() {
        assert_eq!(toml_value(&json!([1.0, 2.5])), "[1.0, 2.5]");
        assert_eq!(
            toml_value(&json!({"eu": ["eu"], "a b": 1})),
            "{ \"a b\" = 1, eu = [\"eu\"] }"
        );
        assert_eq!(toml_value(&json!("x\"y")), "\"x\\\"y\"");
    }
}
