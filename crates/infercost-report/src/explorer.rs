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
//! and with geography each fleet of the chosen serving on every plan of its jurisdiction (`pricing.rs`); the other
//! placement options the planner priced are carried at their planned totals, since the result does not record
//! their fleets.

mod pricing;
mod toml;

use crate::svg::esc;
use infercost_cost::Catalog;
use infercost_plan::result::{PlanResult, Point};
use pricing::{Pricing, Size};
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
<p class=\"ic-result\">Cheapest lawful: <output id=\"ic-usd-per-month\" data-usd=\"\" aria-live=\"polite\"></output> <span id=\"ic-volume-note\" class=\"ic-warn\" role=\"status\"></span> a month <span id=\"ic-interp\"></span> on <span id=\"ic-plan\"></span></p>\
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

/// The catalog the plan's bills used: a shard's own catalogs, or the shipped one, with the scenario's prices on top
/// (plans from `--catalog` files of a whole plan are not in the result: their fleets keep their recorded bills).
fn billing_catalog(r: &PlanResult) -> Catalog {
    let mut c = r.catalog.clone().unwrap_or_else(Catalog::embedded);
    c.extend(Catalog {
        plans: r.scenario.prices.clone(),
        egress: Vec::new(),
        apis: Vec::new(),
    });
    c
}

/// Everything the script reads.
fn data(r: &PlanResult) -> Value {
    let s = &r.scenario;
    let catalog = billing_catalog(r);
    let plans = plan_list(r);
    let names: Vec<String> = plans.iter().map(|(n, _)| n.clone()).collect();
    let index = |name: &str| names.iter().position(|p| p == name);
    let plan_data: Vec<Value> = plans
        .iter()
        .map(|(name, price)| {
            let plan = catalog.plan(name).ok();
            let burst = plan
                .filter(|p| p.commitment.is_term())
                .and_then(|p| p.burst_plan.as_deref())
                .and_then(index);
            json!({"n": name, "p": price, "b": burst, "toml": plan.map(toml::price)})
        })
        .collect();
    let pricing = Pricing {
        catalog: &catalog,
        weights: &r.pilot.diurnal,
        plans: &names,
    };
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
                        .map(|p| point(r, p, &pricing))
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
        "toml": toml::scenario(r),
    })
}

/// One GPU's point: its candidate servings, each a list of fleets (each with the plans it may move to) or a
/// planned total.
fn point(r: &PlanResult, p: &Point, pricing: &Pricing) -> Value {
    let mut options = Vec::new();
    if p.placement.is_empty() && p.mix.len() <= 1 {
        // Without geography the planner's candidates are the lawful whole-traffic bills, one fleet each; a mixed
        // fleet's pools are its serving, each re-priced on its own GPU's plans below.
        let size = Size {
            replicas: p.replicas_peak,
            tp: p.tp * p.pp,
        };
        for b in p.bills.iter().filter(|b| b.lawful) {
            if let Some(f) = pricing.fleet(&b.bill, size) {
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
                    tp: sv.tp * sv.pp,
                };
                let mut f = pricing.fleet(b, size)?;
                f["u"] = json!(sv.users.join(", "));
                f["in"] = json!(sv.served_in);
                f["pol"] = json!(sv.policy.name());
                f["alt"] = json!(pricing.alternatives(b, size, &sv.served_in, &r.scenario));
                Some(f)
            })
            .collect();
        let chosen = p.cheapest_plan.clone().unwrap_or_default();
        if let Some(f) = fleets.filter(|f| !f.is_empty()) {
            options.push(json!({"n": chosen, "f": f}));
        }
        // The chosen option (the planner keeps the first of equal totals) is re-priced above; the others keep
        // their planned totals.
        let mut chosen_seen = false;
        for o in p.placement.iter().filter(|o| o.allowed) {
            if !chosen_seen && Some(o.usd_per_month) == p.cheapest_usd_per_month {
                chosen_seen = true;
                continue;
            }
            let plans: Vec<&str> = o.routes.iter().map(|x| x.plan.as_str()).collect();
            options.push(json!({"n": o.name, "fix": o.usd_per_month, "pl": plans}));
        }
    }
    json!({"g": p.gpu, "o": options})
}
