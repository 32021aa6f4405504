//! What the explorer's script needs to re-price a fleet's bill at other prices, exactly as the planner bills it:
//! the billed GPU-hours (or, for a term plan that bursts, the committed and the above hours of every commitment
//! level the planner tries) and the lines that do not depend on the GPU price, in micro-dollars; and, for a fleet
//! of the chosen serving, the same for every other plan of its jurisdiction, since the planner bills each such
//! fleet on the cheapest of them.

use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Usd;
use infercost_cost::bill::{Segment, Usage};
use infercost_cost::{bill, Bill, Catalog, Plan};
use infercost_plan::Scenario;
use serde_json::{json, Value};

/// The size of a fleet: replicas at the busiest hour and GPUs per replica.
#[derive(Clone, Copy)]
pub(super) struct Size {
    pub(super) replicas: u32,
    pub(super) tp: u32,
}

/// What pricing a fleet reads: the catalog its bills used, the day's shape, the plans the page can re-price.
pub(super) struct Pricing<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) weights: &'a [f64],
    /// Plan names in the order of the page's data.
    pub(super) plans: &'a [String],
}

impl Pricing<'_> {
    fn index(&self, name: &str) -> Option<usize> {
        self.plans.iter().position(|p| p == name)
    }

    /// Each hour's autoscaled fleet in replicas, as the planner sizes it from the busiest hour's.
    fn autoscaled(&self, size: Size) -> Vec<u32> {
        let r = size.replicas.max(1);
        self.weights
            .iter()
            .map(|w| ((size.replicas as f64 * w).ceil() as u32).clamp(1, r))
            .collect()
    }

    /// (committed hours, hours above) for every commitment level the planner tries: each hour's fleet.
    fn levels(&self, size: Size) -> Vec<[f64; 2]> {
        let tp = size.tp as f64;
        let hour_share = HOURS_PER_MONTH / 24.0;
        let autos = self.autoscaled(size);
        let mut levels = autos.clone();
        levels.sort_unstable();
        levels.dedup();
        levels
            .into_iter()
            .map(|l| {
                let commit = l as f64 * tp;
                let above: f64 = autos
                    .iter()
                    .map(|&g| hour_share * (g as f64 * tp - commit).max(0.0))
                    .sum();
                [commit * HOURS_PER_MONTH, above]
            })
            .collect()
    }

    fn burst_price(&self, plan: &Plan) -> Option<f64> {
        let b = plan.burst_plan.as_deref()?;
        plan.commitment
            .is_term()
            .then(|| self.catalog.plan(b).ok().map(|p| p.usd_per_gpu_hour))
            .flatten()
    }

    /// A recorded bill as the script re-prices it; `None` when its plan has no price on the page.
    pub(super) fn fleet(&self, b: &Bill, size: Size) -> Option<Value> {
        let pi = self.index(&b.plan)?;
        let mut f = json!({
            "p": pi, "h": b.gpu_hours, "g": b.gpu_usd.0, "e": b.egress_usd.0, "t": b.transfer_usd.0,
            "a": b.api_usd.0, "r": size.replicas, "tp": size.tp,
        });
        let plan = self.catalog.plan(&b.plan).ok();
        if let Some(bp) = plan.and_then(|p| self.burst_price(p)) {
            let levels = self.levels(size);
            // Only when the levels reproduce the bill at its prices; otherwise GPU-hours × price.
            if cheapest(&levels, b.usd_per_gpu_hour, bp) == Some(b.gpu_usd) {
                f["l"] = json!(levels);
            }
        }
        Some(f)
    }

    /// The same fleet on `plan`: its GPU line's terms, its egress at that provider's rates, its price today.
    fn priced(&self, plan: &Plan, size: Size, egress_gb: f64, s: &Scenario) -> Option<Value> {
        let pi = self.index(&plan.name)?;
        let tp = size.tp as f64;
        let hour_share = HOURS_PER_MONTH / 24.0;
        let segment = |gpus: f64| Segment {
            hours: hour_share,
            gpus,
            busy_gpus: 0.0,
        };
        // Autoscaled for plans billed by use, the peak all day for term plans (a burst plan adds the levels).
        let gpus: Vec<f64> = if plan.commitment.is_term() {
            vec![size.replicas as f64 * tp; self.weights.len()]
        } else {
            self.autoscaled(size)
                .iter()
                .map(|&a| a as f64 * tp)
                .collect()
        };
        let usage = Usage {
            segments: gpus.into_iter().map(segment).collect(),
            commit_gpus: None,
            requests: 0.0,
            output_tokens: 0.0,
            inter_region_gb: 0.0,
            api_usd: 0.0,
        };
        let b = bill(plan, self.catalog, &usage, &s.egress_model).ok()?;
        let egress = Usd::from_dollars(self.catalog.egress_of(plan).internet_usd(egress_gb));
        let mut f = json!({"p": pi, "h": b.gpu_hours, "g": b.gpu_usd.0, "e": egress.0, "t": 0, "a": 0,
            "r": size.replicas, "tp": size.tp});
        if let Some(bp) = self.burst_price(plan) {
            let levels = self.levels(size);
            f["g"] = json!(cheapest(&levels, plan.usd_per_gpu_hour, bp)?.0);
            f["l"] = json!(levels);
        }
        Some(f)
    }

    /// The other plans of a chosen fleet's jurisdiction, priced for that fleet, when pricing its own plan the same
    /// way gives its recorded bill (a fleet that pays inter-region transfer keeps its plan: the result does not
    /// record the gigabytes).
    pub(super) fn alternatives(
        &self,
        b: &Bill,
        size: Size,
        served_in: &str,
        s: &Scenario,
    ) -> Vec<Value> {
        let Ok(own) = self.catalog.plan(&b.plan) else {
            return Vec::new();
        };
        let same = self
            .priced(own, size, b.egress_gb, s)
            .is_some_and(|f| f["g"] == json!(b.gpu_usd.0) && f["e"] == json!(b.egress_usd.0));
        if !same || b.transfer_usd.0 != 0 || b.api_usd.0 != 0 {
            return Vec::new();
        }
        self.catalog
            .plans
            .iter()
            // An owned plan's bill depends on the busy hours, which the page does not carry: it is not offered as
            // another plan for a fleet.
            .filter(|q| {
                q.gpu == b.gpu
                    && q.commitment != infercost_cost::Commitment::Owned
                    && q.geo == served_in
                    && q.name != b.plan
                    && (s.plans.is_empty() || s.plans.contains(&q.name))
            })
            .filter_map(|q| self.priced(q, size, b.egress_gb, s))
            .collect()
    }
}

/// The cheapest GPU line over commitment levels at these prices, rounded as bills are.
fn cheapest(levels: &[[f64; 2]], rate: f64, burst: f64) -> Option<Usd> {
    levels
        .iter()
        .map(|[c, a]| Usd::from_dollars(c * rate + a * burst))
        .min()
}
