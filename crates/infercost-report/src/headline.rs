//! The headline: the cheapest lawful monthly bill of each deployment at each volume, its table, and the
//! sentences under it on why some points have no fleet.

use crate::prose::{ratio, times};
use crate::table::Table;
use infercost_core::fmt::{count, int, usd, usd_unit};
use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, Point};

/// One row of the headline table.
#[derive(Debug, Clone)]
pub struct HeadlineRow {
    /// Volume.
    pub volume: f64,
    /// Users.
    pub users: f64,
    /// The best point over GPUs.
    pub point: Option<Point>,
    /// Cost over the pilot's.
    pub multiplier: Option<f64>,
}

/// The headline per deployment at a context and burst: cheapest lawful cost at each volume. In a shard, only
/// the volumes it holds a point of: the others are in another shard, not without a fleet.
pub fn headline(r: &PlanResult, deployment: &str, context: f64, burst: f64) -> Vec<HeadlineRow> {
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    let pilot = best(&r.points, deployment, 1.0, 1.0, 1.0).and_then(|p| p.cheapest_usd_per_month);
    let held = |v: f64| {
        r.shard.is_none()
            || r.points.iter().any(|p| {
                p.deployment == deployment
                    && p.volume == v
                    && p.context == context
                    && p.burst == burst
            })
    };
    vols.iter()
        .filter(|&&v| held(v))
        .map(|&v| {
            let p = best(&r.points, deployment, v, context, burst).cloned();
            let multiplier = match (&p, pilot) {
                (Some(p), Some(base)) => p.cheapest_usd_per_month.map(|c| c / base),
                _ => None,
            };
            HeadlineRow {
                volume: v,
                users: r.scenario.users * v,
                point: p,
                multiplier,
            }
        })
        .collect()
}

/// A fleet as `220×1 h100-sxm`: replicas at the peak, GPUs per replica (TP × PP), GPU; a mixed fleet as its
/// pools, `40×1 l40s + 3×1 h100-sxm`.
fn fleet(p: &Point) -> String {
    if p.mix.is_empty() {
        // The fleets' replicas by layout (a fleet per jurisdiction may take its own), with the layout named where
        // it is more than tensor parallelism: `2×8 (TP8×PP2 EP8) h100-sxm`.
        let mut by_layout = Vec::new();
        for s in &p.serving {
            match by_layout.iter_mut().find(|(l, _)| *l == s.layout()) {
                Some((_, n)) => *n += s.replicas_peak,
                None => by_layout.push((s.layout(), s.replicas_peak)),
            }
        }
        if by_layout.is_empty() {
            by_layout.push((p.layout(), p.replicas_peak));
        }
        let parts: Vec<String> = by_layout
            .iter()
            .map(|(l, n)| match l.pp == 1 && l.ep == 1 && !l.attention_dp {
                true => format!("{}×{}", count((*n).into()), l.gpus()),
                false => format!("{}×{} ({})", count((*n).into()), l.gpus(), l.name()),
            })
            .collect();
        return format!("{} {}", parts.join(" + "), p.gpu);
    }
    p.mix
        .iter()
        .map(|m| format!("{}×{} {}", count(m.replicas.into()), m.tp * m.pp, m.gpu))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Why points have no fleet, and what the engine refused, in sentences under a deployment's headline: GPU
/// types with no fleet at any point and their reason, volumes with no fleet on any GPU, and requests rejected
/// or cut at `max_model_len` at the pilot's context.
pub fn shortfalls(r: &PlanResult, deployment: &str) -> Vec<String> {
    let s = &r.scenario;
    let mine: Vec<&Point> = r
        .points
        .iter()
        .filter(|p| p.deployment == deployment)
        .collect();
    let mut out = Vec::new();
    for g in &s.gpus {
        let on: Vec<&&Point> = mine.iter().filter(|p| &p.gpu == g).collect();
        if !on.is_empty() && on.iter().all(|p| p.cheapest_usd_per_month.is_none()) {
            let why = on
                .iter()
                .find_map(|p| p.reason.clone())
                .unwrap_or_else(|| "no reason recorded".into());
            out.push(format!("not offered on {g}: {why}"));
        }
    }
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    for &v in &vols {
        let here: Vec<&&Point> = mine
            .iter()
            .filter(|p| p.volume == v && p.context == 1.0 && p.burst == 1.0)
            .collect();
        if !here.is_empty() && here.iter().all(|p| p.cheapest_usd_per_month.is_none()) {
            let whys: Vec<String> = here
                .iter()
                .filter(|p| on_some_point(&mine, &p.gpu))
                .filter_map(|p| p.reason.as_ref().map(|w| format!("{}: {w}", p.gpu)))
                .collect();
            if !whys.is_empty() {
                out.push(format!("no fleet at {}: {}", times(v), whys.join("; ")));
            }
        }
    }
    if let Some(p) = best(&r.points, deployment, 1.0, 1.0, 1.0) {
        if p.rejected_peak_hour > 0 || p.truncated_peak_hour > 0 {
            out.push(format!(
                "at the pilot's volume the engine refuses {} of {} requests in the busiest hour (prompt at or past max_model_len {}) and cuts {} outputs there; refused requests count as SLO misses",
                count(p.rejected_peak_hour),
                count(p.requests_peak_hour),
                count(s.engine.max_model_len as u64),
                count(p.truncated_peak_hour)
            ));
        }
    }
    out
}

/// Whether a GPU type has a fleet at some point (so its failure at one point is worth naming).
fn on_some_point(points: &[&Point], gpu: &str) -> bool {
    points
        .iter()
        .any(|p| p.gpu == gpu && p.cheapest_usd_per_month.is_some())
}

/// The headline table's cells, shared by the terminal, Markdown and HTML.
pub fn headline_cells(row: &HeadlineRow) -> Vec<String> {
    match &row.point {
        Some(p) => {
            let total = p.cheapest_usd_per_month.unwrap_or(0.0);
            vec![
                times(row.volume),
                int(row.users),
                fleet(p),
                p.cheapest_plan.clone().unwrap_or_default(),
                usd(total),
                row.multiplier.map_or("-".into(), ratio),
                usd_unit(total / p.requests_per_month.max(1.0) * 1000.0),
                usd_unit(total / (p.output_tokens_per_month / 1e6).max(1e-9)),
                format!("{:.0}%", p.utilization * 100.0),
            ]
        }
        None => vec![
            times(row.volume),
            int(row.users),
            "no fleet (reasons below)".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

/// Headline column names.
pub const HEADLINE_COLUMNS: [&str; 9] = [
    "volume",
    "users",
    "fleet (replicas×GPUs GPU)",
    "cheapest plan",
    "$/month",
    "× pilot",
    "$/1k requests",
    "$/M output tokens",
    "GPU busy",
];

/// The legend of the headline table's last column.
pub const GPU_BUSY_NOTE: &str = "GPU busy: the hour's load over the fleet's capacity within the SLO, averaged over the billed hours.";

/// The headline table of a deployment at pilot context and burst.
pub(crate) fn headline_table(r: &PlanResult, di: usize) -> Table {
    let d = &r.scenario.deployments[di];
    let mut t = Table::new(
        format!("headline-{di}"),
        format!(
            "Monthly bill of {} at each volume (context 1×, burst 1×)",
            d.name
        ),
        &HEADLINE_COLUMNS,
    );
    t.rows = headline(r, &d.name, 1.0, 1.0)
        .iter()
        .map(headline_cells)
        .collect();
    t.notes.push(GPU_BUSY_NOTE.into());
    t.notes.extend(shortfalls(r, &d.name));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use infercost_plan::result::Serving;

    /// The GPUs a fleet cell names: Σ replicas × GPUs per replica.
    fn gpus_named(cell: &str) -> u32 {
        cell.split(" + ")
            .map(|part| {
                let (n, rest) = part.split_once('×').unwrap();
                let g: String = rest.chars().take_while(char::is_ascii_digit).collect();
                n.replace(',', "").parse::<u32>().unwrap() * g.parse::<u32>().unwrap()
            })
            .sum()
    }

    /// A fleet of `replicas` replicas on a layout, in one jurisdiction.
    fn serving(replicas: u32, (tp, pp, ep): (u32, u32, u32), served_in: &str) -> Serving {
        serde_json::from_value(serde_json::json!({
            "users": [served_in], "served_in": served_in, "plan": "p", "policy": "static",
            "tp": tp, "pp": pp, "ep": ep, "attention_dp": false, "replicas_peak": replicas,
            "max_rps_per_replica": 1.0, "requests_peak_hour_share": 0.5,
            "usd_per_month": 0.0, "transfer_usd": 0.0
        }))
        .unwrap()
    }

    #[test]
    fn the_fleet_cell_names_each_fleets_layout_and_adds_up_to_the_points_gpus() {
        let r = small();
        let mut p = r
            .points
            .iter()
            .find(|p| p.replicas_peak > 1)
            .expect("a point of several replicas")
            .clone();
        assert_eq!(fleet(&p), format!("{}×{} {}", p.replicas_peak, p.tp, p.gpu));
        assert_eq!(gpus_named(&fleet(&p)), p.gpus_peak);
        // One jurisdiction's fleet on a MoE layout of two stages, the other's on plain TP: both are named, and
        // the cell adds up to the point's GPUs where replicas × the point's TP would not.
        p.serving = vec![serving(3, (8, 2, 8), "us"), serving(5, (4, 1, 1), "eu")];
        (p.tp, p.pp, p.ep, p.replicas_peak, p.gpus_peak) = (8, 2, 8, 8, 3 * 16 + 5 * 4);
        let cell = fleet(&p);
        assert_eq!(cell, format!("3×16 (TP8×PP2 EP8) + 5×4 {}", p.gpu));
        assert_eq!(gpus_named(&cell), p.gpus_peak);
        // Two fleets on one layout are one term.
        p.serving = vec![serving(3, (4, 1, 1), "us"), serving(5, (4, 1, 1), "eu")];
        assert_eq!(fleet(&p), format!("8×4 {}", p.gpu));
    }
}
