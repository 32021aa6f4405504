//! Scenario files: TOML read into permissive structs (unknown keys are errors), then validated once into
//! [`Scenario`], whose fields the planner can trust. A scenario read back from a plan result's JSON is validated
//! by the same checks ([`check`]), so a tampered or hand-edited result is refused rather than planned or
//! reported from.

mod check;
mod raw;

use crate::PlanError;
use infercost_cost::Plan;
use infercost_perf::Dtype;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded default scenario, commented.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../data/scenario-default.toml");

/// Where the day's shape comes from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Diurnal {
    /// `"flat"`, `"embedded:servegen"` or a file path.
    Named(String),
    /// 24 hourly weights.
    Weights(Vec<f64>),
}

/// A model to serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Name in the report.
    pub name: String,
    /// Catalog name or config path.
    pub model: String,
    /// Weight dtype (the first the scenario lists).
    pub weights: Dtype,
    /// Every weight dtype the planner tries, when the scenario lists more than one (`weights = ["bf16",
    /// "fp8"]`); each point keeps the cheapest and names it. Absent from the JSON when there is only one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights_options: Vec<Dtype>,
    /// KV dtype.
    pub kv_dtype: Dtype,
    /// No per-token API fallback.
    pub fine_tuned: bool,
    /// Fixed TP, or the smallest that fits.
    pub tp: Option<u32>,
    /// Fixed pipeline stages, or as many as the smallest layout that fits needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pp: Option<u32>,
    /// Fixed expert parallelism (MoE models), or the planner's choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ep: Option<u32>,
    /// Data-parallel attention (MoE models): `Some(true)` or `Some(false)` fixes it, `None` lets the planner try
    /// both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_dp: Option<bool>,
}

impl Deployment {
    /// The layout this deployment asks for, attention-DP off unless it says so.
    pub fn layout_request(&self) -> infercost_perf::layout::LayoutRequest {
        infercost_perf::layout::LayoutRequest {
            tp: self.tp,
            pp: self.pp,
            ep: self.ep,
            attention_dp: self.attention_dp == Some(true),
        }
    }

    /// Whether the planner chooses the layout (nothing about it fixed).
    pub fn layout_free(&self) -> bool {
        self.tp.is_none() && self.pp.is_none() && self.ep.is_none() && self.attention_dp.is_none()
    }
}

/// Engine settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    /// The engine profile (data/engines.toml): `vllm`, `sglang`, `trtllm` or `eager`.
    #[serde(default = "default_engine_kind")]
    pub kind: String,
    /// Most sequences per batch.
    pub max_num_seqs: u32,
    /// Token budget per iteration.
    pub max_batched_tokens: u32,
    /// Fraction of GPU memory the engine may use.
    pub gpu_memory_utilization: f64,
    /// Longest sequence that must fit.
    pub max_model_len: u32,
    /// Reuse shared prefixes.
    pub prefix_caching: bool,
}

fn default_engine_kind() -> String {
    infercost_perf::engine::DEFAULT_ENGINE.to_string()
}

impl Engine {
    /// The engine's profile (the kind is checked when the scenario is).
    pub fn profile(&self) -> &'static infercost_perf::EngineProfile {
        static CATALOG: std::sync::OnceLock<infercost_perf::EngineCatalog> =
            std::sync::OnceLock::new();
        let c = CATALOG.get_or_init(infercost_perf::EngineCatalog::embedded);
        c.get(&self.kind)
            .unwrap_or_else(|_| infercost_perf::engine::EngineCatalog::default_engine())
    }
}

impl Deployment {
    /// The weight dtypes the planner tries: the listed ones, or the one.
    pub fn weight_choices(&self) -> Vec<Dtype> {
        if self.weights_options.is_empty() {
            vec![self.weights]
        } else {
            self.weights_options.clone()
        }
    }
}

/// Growth over months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// Months ahead.
    pub months: u32,
    /// Users at the end.
    pub users_end: f64,
    /// Prompt growth per month (0.1 = +10%).
    pub context_per_month: f64,
}

/// Users by jurisdiction and where their data may be served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geography {
    /// Share of users per jurisdiction (sums to 1).
    pub users: BTreeMap<String, f64>,
    /// Jurisdictions a user group may be served from; absent means anywhere.
    pub residency: BTreeMap<String, Vec<String>>,
    /// Added round trip when served from another jurisdiction.
    pub cross_region_rtt_ms: f64,
}

/// A scenario's settings as written to and read from a plan result, before they are checked: [`Scenario`] is
/// the checked form, and the only one the planner takes. Build one in code and check it with
/// `Scenario::try_from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSpec {
    /// Trace reference (`embedded:azure-conv` or a path).
    pub trace: String,
    /// Trace format.
    pub format: String,
    /// Row filters on the pilot log, each `COLUMN=VALUE` as `--where` takes them; all must match. Absent from
    /// the JSON when empty, so scenarios without filters serialise as before.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub where_: Vec<String>,
    /// Day shape.
    pub diurnal: Diurnal,
    /// Users behind the pilot.
    pub users: f64,
    /// Models to serve.
    pub deployments: Vec<Deployment>,
    /// Volume multiples.
    pub volume: Vec<f64>,
    /// Context multiples.
    pub context: Vec<f64>,
    /// Burst multiples.
    pub burst: Vec<f64>,
    /// Candidate GPUs.
    pub gpus: Vec<String>,
    /// Plan names, or empty for all.
    pub plans: Vec<String>,
    /// Whether the sweep also prices fleets that mix the GPU types in `gpus` (a `gpu = "mix"` point per
    /// deployment, volume, context and burst). Absent from the JSON when off, so results serialise as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mix: bool,
    /// SLO.
    pub slo: infercost_sim::Slo,
    /// Engine.
    pub engine: Engine,
    /// Seed.
    pub seed: u64,
    /// Group sampling: fleets above about this many replicas are sized from one simulated group of this size.
    pub group_replicas: u32,
    /// Growth, if any.
    pub growth: Option<Growth>,
    /// Geography, if any.
    pub geography: Option<Geography>,
    /// Price overrides and additions.
    pub prices: Vec<Plan>,
    /// Egress bytes model.
    pub egress_model: infercost_cost::EgressModel,
}

/// The largest volume multiple a sweep may ask for. A million times the pilot is already millions of replicas for
/// any pilot worth simulating; beyond it a fleet is sized by extrapolation, not simulation, and the sums run past
/// what a bill can hold (1e9 printed 213 million GPUs).
pub const MAX_VOLUME: f64 = 1e6;

/// A validated scenario: the settings of a [`ScenarioSpec`] that passed every check, readable through `Deref` and
/// never changed afterwards. Made by [`Scenario::parse`] from a file, by `Scenario::try_from` from a spec, and by
/// deserialising a plan result, which runs the same checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Scenario(ScenarioSpec);

impl std::ops::Deref for Scenario {
    type Target = ScenarioSpec;

    fn deref(&self) -> &ScenarioSpec {
        &self.0
    }
}

impl TryFrom<ScenarioSpec> for Scenario {
    type Error = PlanError;

    /// Checks a spec as a scenario file is checked; errors name the key but no file or line.
    fn try_from(spec: ScenarioSpec) -> Result<Scenario, PlanError> {
        let bad = |key: &str, message: String| PlanError::Scenario {
            file: "scenario".into(),
            line: None,
            message: format!("{key}: {message}"),
        };
        check::all(&spec, &bad)?;
        Ok(Scenario(spec))
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scenario, D::Error> {
        let spec = ScenarioSpec::deserialize(d)?;
        Scenario::try_from(spec).map_err(serde::de::Error::custom)
    }
}

impl Scenario {
    /// Parses and validates a scenario file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, PlanError> {
        raw::parse(text, file)
    }

    /// The embedded default.
    pub fn default_scenario() -> Scenario {
        // The embedded file is tested; failing here is a defect of the build.
        Scenario::parse(DEFAULT_SCENARIO, "embedded default scenario")
            .expect("embedded scenario is valid")
    }

    /// The settings, to change and check again with `Scenario::try_from`.
    pub fn into_spec(self) -> ScenarioSpec {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_price_without_its_rate_is_refused_and_an_owned_one_is_priced() {
        let price = "\n[[price]]\nname = \"mine\"\nprovider = \"p\"\ngpu = \"h100-sxm\"\nregion = \"r\"\ngeo = \"us\"\ncommitment = \"on-demand\"\nbilling_granularity_s = 1\nbilling_minimum_s = 1\nlead_time_s = 1\negress = \"none\"\nsource = \"s\"\nas_of = \"2026-01-01\"\n";
        let e = Scenario::parse(&format!("{DEFAULT_SCENARIO}{price}"), "my.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("my.toml:") && e.contains("\"mine\"") && e.contains("`usd_per_gpu_hour`"),
            "{e}"
        );
        let owned = infercost_cost::Catalog::embedded()
            .plan("owned-dgx-h100-us")
            .unwrap()
            .clone();
        let table = toml::to_string(&owned.owned).unwrap();
        let text = format!(
            "{DEFAULT_SCENARIO}{}[price.owned]\n{table}",
            price
                .replace("\"mine\"", "\"my-owned\"")
                .replace("\"on-demand\"", "\"owned\"")
        );
        let s = Scenario::parse(&text, "my.toml").unwrap();
        assert!((s.prices[0].usd_per_gpu_hour - owned.usd_per_gpu_hour).abs() < 1e-12);
    }

    #[test]
    fn default_scenario_parses() {
        let s = Scenario::default_scenario();
        assert_eq!(s.volume, vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(s.deployments.len(), 2);
        assert!(s.deployments[0].fine_tuned);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let text = DEFAULT_SCENARIO.replace("ttft_ms = 2000", "ttft_ms = 2000\nttft_p99 = 1");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("my.toml:") && e.contains("unknown field `ttft_p99`"),
            "{e}"
        );
        let text = DEFAULT_SCENARIO.replace("gpus = [\"h100-sxm\"", "gpus = [\"h900\"");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.contains("sweep.gpus") && e.contains("unknown gpu \"h900\""),
            "{e}"
        );
        let line = DEFAULT_SCENARIO
            .lines()
            .position(|l| l.starts_with("gpus ="))
            .unwrap()
            + 1;
        assert!(e.starts_with(&format!("my.toml:{line}:")), "{e}");
        // A misspelt trace format is named with its file, line and key before any file is read.
        let text = DEFAULT_SCENARIO.replace("format = \"auto\"", "format = \"nope\"");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        let line = DEFAULT_SCENARIO
            .lines()
            .position(|l| l.starts_with("format ="))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!(
                "my.toml:{line}: pilot.format: \"nope\" is not a trace format"
            )),
            "{e}"
        );
        // Layout keys: a bad value is named with its file, line and key.
        let layout = |keys: &str| {
            let text = DEFAULT_SCENARIO
                .replace("fine_tuned = false", &format!("fine_tuned = false\n{keys}"));
            let line = text
                .lines()
                .position(|l| l == keys.lines().last().unwrap())
                .unwrap()
                + 1;
            (
                Scenario::parse(&text, "my.toml").map_err(|e| e.to_string()),
                line,
            )
        };
        let (e, line) = layout("pp = 0");
        assert_eq!(
            e.unwrap_err(),
            format!("my.toml:{line}: deployment.pp: must be at least 1, got 0")
        );
        let (e, line) = layout("ep = 3");
        let e = e.unwrap_err();
        assert!(
            e.starts_with(&format!(
                "my.toml:{line}: deployment.ep: must be a power of two"
            )),
            "{e}"
        );
        let (e, line) = layout("tp = 8\nattention_dp = true\nep = 4");
        let e = e.unwrap_err();
        assert!(
            e.starts_with(&format!("my.toml:{line}: deployment.ep:")) && e.contains("equal tp (8)"),
            "{e}"
        );
        let (s, _) = layout("tp = 8\npp = 2\nep = 8\nattention_dp = true");
        let d = &s.unwrap().deployments[1];
        assert_eq!(
            (d.tp, d.pp, d.ep, d.attention_dp),
            (Some(8), Some(2), Some(8), Some(true))
        );
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [-1, 10");
        assert!(Scenario::parse(&text, "x")
            .unwrap_err()
            .to_string()
            .contains("positive"));
    }

    #[test]
    fn the_engine_kind_and_a_list_of_weights_are_read_and_checked() {
        let text = DEFAULT_SCENARIO.replace("kind = \"vllm\"", "kind = \"tgi\"");
        let line = text.lines().position(|l| l.starts_with("kind =")).unwrap() + 1;
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "my.toml:{line}: engine.kind: \"tgi\" is not an engine; known: vllm"
            )),
            "{e}"
        );
        // The engine's defaults fill what [engine] leaves out; what it states wins.
        let text = DEFAULT_SCENARIO
            .replace("kind = \"vllm\"", "kind = \"trtllm\"")
            .replace("max_num_seqs = 256\n", "")
            .replace(
                "weights = \"bf16\"           # bf16",
                "weights = [\"bf16\", \"fp8\", \"bf16\"] # bf16",
            );
        let s = Scenario::parse(&text, "my.toml").unwrap();
        assert_eq!(
            (s.engine.kind.as_str(), s.engine.max_num_seqs),
            ("trtllm", 2048)
        );
        assert_eq!(s.engine.max_batched_tokens, 8192);
        assert_eq!(
            s.deployments[0].weight_choices(),
            vec![Dtype::Bf16, Dtype::Fp8]
        );
        assert_eq!(s.deployments[1].weight_choices(), vec![Dtype::Bf16]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), s);
        let text = DEFAULT_SCENARIO.replace(
            "weights = \"bf16\"           # bf16",
            "weights = [\"fp5\"] # bf16",
        );
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.contains("deployment.weights: \"fp5\" is not bf16, fp8, int4, fp4 or fp4-wo"),
            "{e}"
        );
    }

    #[test]
    fn a_scenario_read_back_from_json_is_checked_again() {
        let s = Scenario::default_scenario();
        let json = serde_json::to_string(&s).unwrap();
        let back: Scenario = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["volume"][0] = serde_json::json!(-1.0);
        let e = serde_json::from_value::<Scenario>(v)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "scenario: sweep.volume: must be a non-empty list of positive numbers, got [-1.0,"
            ),
            "{e}"
        );
        let mut spec = s.into_spec();
        spec.engine.gpu_memory_utilization = 1.5;
        let e = Scenario::try_from(spec).unwrap_err().to_string();
        assert_eq!(
            e,
            "scenario: engine.gpu_memory_utilization: must be in (0, 1], got 1.5"
        );
    }

    #[test]
    fn a_volume_past_a_million_times_the_pilot_is_refused_with_the_reason() {
        let line = DEFAULT_SCENARIO
            .lines()
            .position(|l| l.starts_with("volume ="))
            .unwrap()
            + 1;
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [1, 1e9, 10");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("my.toml:{line}: sweep.volume: 1000000000 is more than a million times the pilot (1000000), past any fleet the planner can size by simulation; plan from a bigger pilot instead")
        );
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [1, 1e6, 10");
        assert_eq!(Scenario::parse(&text, "my.toml").unwrap().volume[1], 1e6);
    }

    #[test]
    fn sweep_mix_is_read_and_needs_two_gpu_types() {
        assert!(!Scenario::default_scenario().mix);
        let text = DEFAULT_SCENARIO.replace("plans = \"all\"", "mix = true\nplans = \"all\"");
        assert!(Scenario::parse(&text, "my.toml").unwrap().mix);
        let text = text.replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\", \"l40s\"]",
            "gpus = [\"l40s\"]",
        );
        let line = text.lines().position(|l| l.starts_with("mix =")).unwrap() + 1;
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "my.toml:{line}: sweep.mix: a mixed fleet combines"
            )),
            "{e}"
        );
        let text = DEFAULT_SCENARIO.replace("plans = \"all\"", "mix = \"yes\"\nplans = \"all\"");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(e.starts_with("my.toml:") && e.contains("bool"), "{e}");
    }
}
