//! What the explorer's script needs to re-price a fleet's bill at other prices, exactly as the planner bills it:
//! the billed GPU-hours (or, for a term plan that bursts, the committed and the above hours of every commitment
//! level the planner tries, or for a mix its ways of buying the day) and the lines that do not depend on the GPU
//! price, in micro-dollars; and, for a fleet of the chosen serving, the same for its bills on every other plan of
//! its jurisdiction, since the planner bills each such fleet on the cheapest of them.

use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Usd;
use infercost_cost::{Bill, Catalog, Commitment, Plan};
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
        if let Some(m) = self.mix(b) {
            f["m"] = m;
            return Some(f);
        }
        let plan = self.catalog.plan(&b.plan).ok();
        if let Some(bp) = plan.and_then(|p| self.burst_price(p)) {
            let levels = self.levels(size);
            // The levels when they reproduce the bill at its prices (a day that follows `ceil(peak × weight)`);
            // else the bill's own commitment and burst hours.
            if cheapest(&levels, b.usd_per_gpu_hour, bp) == Some(b.gpu_usd) {
                f["l"] = json!(levels);
            } else if let Some(p) = &b.procurement {
                let own = [[p.committed_gpus * HOURS_PER_MONTH, p.on_demand_gpu_hours]];
                if cheapest(&own, b.usd_per_gpu_hour, bp) == Some(b.gpu_usd) {
                    f["l"] = json!(own);
                }
            }
        }
        Some(f)
    }

    /// A mix's ways of buying the day, for the script to choose among at other prices as the planner does:
    /// `{"s": spot plan index or null, "x": [[term plan index or -1, committed, spot, on-demand GPU-hours], …]}`
    /// (the on-demand plan is the fleet's own); `None` for a bill on one plan, or when a plan has no price on
    /// the page.
    fn mix(&self, b: &Bill) -> Option<Value> {
        let p = b.procurement.as_ref()?;
        if p.options.is_empty() {
            return None;
        }
        let spot = match &p.spot_plan {
            Some(s) => json!(self.index(s)?),
            None => Value::Null,
        };
        let options = p
            .options
            .iter()
            .map(|o| {
                let term = match &o.committed_plan {
                    Some(t) => self.index(t)? as i64,
                    None => -1,
                };
                Some(json!([
                    term,
                    o.committed_gpu_hours,
                    o.spot_gpu_hours,
                    o.on_demand_gpu_hours
                ]))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(json!({"s": spot, "x": options}))
    }

    /// The other plans of a chosen fleet's jurisdiction, as the planner billed that fleet on each (recorded with
    /// the fleet), when they can be re-priced. A fleet that pays inter-region transfer keeps its plan: moving it
    /// would change the gigabytes, which the result does not record per plan.
    pub(super) fn alternatives(&self, b: &Bill, alternatives: &[Bill], size: Size) -> Vec<Value> {
        if b.transfer_usd.0 != 0 || b.api_usd.0 != 0 {
            return Vec::new();
        }
        alternatives
            .iter()
            // An owned plan's bill depends on the busy hours, which the page does not carry: it is not offered as
            // another plan for a fleet.
            .filter(|a| a.commitment != Commitment::Owned.name())
            .filter(|a| a.transfer_usd.0 == 0 && a.api_usd.0 == 0)
            .filter_map(|a| self.fleet(a, size))
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
