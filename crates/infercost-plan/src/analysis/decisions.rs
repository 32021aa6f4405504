//! Decisions: where along the volume axis (and the context axis) the best choice changes — the GPU type, its
//! layout, the provisioning policy and commitment, the placement of user groups on regions, and self-hosting vs a
//! per-token API. Each change found between two adjacent sweep points is located by bisection over the 5% grid
//! between them, every grid point sized by simulation (`Sweep::points_at`); nothing is extrapolated past the
//! swept values.

use super::breakevens::{api_cost, api_for};
use super::{best, cheapest, VolumeGrid};
use crate::result::{Breakeven, BreakevenKind, Decision, DecisionAxis, DecisionKind, Point};
use crate::scenario::{self, Scenario};
use crate::sweep::Sweep;
use infercost_cost::Catalog;
use std::collections::BTreeMap;

/// What was chosen at one coordinate: the cheapest lawful point's GPU, layout, provisioning and placement.
#[derive(Clone, PartialEq)]
struct Choice {
    gpu: String,
    layout: String,
    policy: String,
    region: Option<String>,
    usd: f64,
}

impl Choice {
    fn of(p: &Point, catalog: &Catalog) -> Option<Choice> {
        let usd = p.cheapest_usd_per_month?;
        // With a fleet per jurisdiction each is named by where it runs.
        let mut policies: Vec<String> = p
            .serving
            .iter()
            .map(|f| {
                let commitment = catalog
                    .plan(&f.plan)
                    .map_or("unknown plan", |pl| pl.commitment.name());
                match p.serving.len() {
                    1 => format!("{} on {commitment}", f.policy),
                    _ => format!("{} on {commitment} in {}", f.policy, f.served_in),
                }
            })
            .collect();
        policies.sort();
        policies.dedup();
        let region = p
            .placement
            .iter()
            .filter(|o| o.allowed)
            .min_by(|a, b| a.usd_per_month.total_cmp(&b.usd_per_month))
            .map(|o| o.name.clone());
        Some(Choice {
            gpu: p.gpu.clone(),
            layout: p.layout().name(),
            policy: policies.join(" + "),
            region,
            usd,
        })
    }

    /// The value of one kind of choice; `None` where the kind does not apply (a layout is compared only on the
    /// same GPU type, a region only with geography).
    fn value(&self, kind: DecisionKind, other: &Choice) -> Option<String> {
        match kind {
            DecisionKind::Gpu => Some(self.gpu.clone()),
            DecisionKind::Layout => (self.gpu == other.gpu).then(|| self.layout.clone()),
            DecisionKind::Policy => Some(self.policy.clone()),
            DecisionKind::Region => self.region.clone(),
            DecisionKind::Api => None,
        }
    }
}

/// The kinds of choice located by bisection here (the API's is the break-even's, located by its own walk).
const BISECTED: [DecisionKind; 4] = [
    DecisionKind::Gpu,
    DecisionKind::Layout,
    DecisionKind::Policy,
    DecisionKind::Region,
];

/// One axis of one deployment: the choices at grid coordinates, sized on demand and remembered, so the kinds of
/// choice bisected over the same interval share their simulations.
struct Axis<'a> {
    sweep: &'a Sweep<'a>,
    catalog: &'a Catalog,
    deployment: &'a str,
    axis: DecisionAxis,
    /// The other coordinate: the context along the volume axis, the volume along the context axis.
    fixed: f64,
    seen: BTreeMap<u64, Option<Choice>>,
}

impl Axis<'_> {
    fn at(&mut self, x: f64) -> Option<Choice> {
        if let Some(c) = self.seen.get(&x.to_bits()) {
            return c.clone();
        }
        let (v, c) = match self.axis {
            DecisionAxis::Volume => (x, self.fixed),
            DecisionAxis::Context => (self.fixed, x),
        };
        let choice = cheapest(self.sweep.points_at(self.deployment, v, c))
            .and_then(|p| Choice::of(&p, self.catalog));
        self.seen.insert(x.to_bits(), choice.clone());
        choice
    }

    /// The change of `kind` between sweep coordinates `x0` (choice `c0`) and `x1` (choice `c1`, where it differs),
    /// by bisection over the grid strictly between them: the first coordinate with `c1`'s value after one
    /// without it. Whole replicas can make the choice change back and forth in between; the decision is where
    /// the choice that holds at `x1` takes over, `from` what held one step below.
    fn bisect(
        &mut self,
        kind: DecisionKind,
        (x0, c0): (f64, &Choice),
        (x1, c1): (f64, &Choice),
    ) -> Option<Decision> {
        let mut xs = vec![x0];
        xs.extend(
            (VolumeGrid::above(x0)..=VolumeGrid::below(x1))
                .map(VolumeGrid::at)
                .filter(|&g| g > x0 * (1.0 + 1e-9) && g < x1 * (1.0 - 1e-9)),
        );
        xs.push(x1);
        let (old, new) = (c0.value(kind, c1)?, c1.value(kind, c0)?);
        let hi = first_change(xs.len(), |i| {
            self.at(xs[i])
                .is_none_or(|c| c.value(kind, c0).as_ref() != Some(&new))
        });
        let (before, after) = (self.at(xs[hi - 1])?, self.at(xs[hi])?);
        let from = before.value(kind, c0).unwrap_or(old);
        (from != new).then(|| Decision {
            deployment: self.deployment.to_string(),
            variable: self.axis,
            at: xs[hi],
            held: self.fixed,
            what: kind,
            from,
            to: new,
            usd_before: before.usd,
            usd_after: after.usd,
            description: String::new(),
        })
    }
}

/// Bisection over positions `0..n` where position 0 has the old choice (`same(0)`) and position `n - 1` does not:
/// a position `i` with `same(i - 1)` and not `same(i)`, asking `same` about O(log n) positions (never 0 or n - 1).
fn first_change(n: usize, mut same: impl FnMut(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n.saturating_sub(1).max(1));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if same(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The decisions of every deployment located by bisection — GPU type, layout, provisioning, placement — along
/// the volume axis (at the pilot's context and burstiness) and along the context axis (at the largest swept
/// volume). [`finish`] adds the API's and puts them in order.
pub fn bisected(points: &[Point], s: &Scenario, catalog: &Catalog, sweep: &Sweep) -> Vec<Decision> {
    let (vols, ctxs) = (sorted(&s.volume), sorted(&s.context));
    let top = vols.last().copied().unwrap_or(1.0);
    // Every interval between adjacent sweep coordinates whose ends differ is a task; the tasks run in parallel,
    // each remembering its own grid points for the kinds of choice it bisects.
    let mut tasks = Vec::new();
    for d in &s.deployments {
        for (axis, xs, fixed) in [
            (DecisionAxis::Volume, &vols, 1.0),
            (DecisionAxis::Context, &ctxs, top),
        ] {
            let at = |x: f64| {
                let (v, c) = match axis {
                    DecisionAxis::Volume => (x, fixed),
                    DecisionAxis::Context => (fixed, x),
                };
                best(points, &d.name, v, c, 1.0).and_then(|p| Choice::of(p, catalog))
            };
            for w in xs.windows(2) {
                let (Some(c0), Some(c1)) = (at(w[0]), at(w[1])) else {
                    continue;
                };
                let kinds: Vec<DecisionKind> = BISECTED
                    .into_iter()
                    .filter(|&k| c0.value(k, &c1).is_some() && c0.value(k, &c1) != c1.value(k, &c0))
                    .collect();
                if !kinds.is_empty() {
                    tasks.push((d.name.as_str(), axis, fixed, (w[0], c0), (w[1], c1), kinds));
                }
            }
        }
    }
    sweep
        .map(&tasks, &|(
            deployment,
            axis,
            fixed,
            (x0, c0),
            (x1, c1),
            kinds,
        )| {
            let mut a = Axis {
                sweep,
                catalog,
                deployment,
                axis: *axis,
                fixed: *fixed,
                seen: BTreeMap::from([
                    (x0.to_bits(), Some(c0.clone())),
                    (x1.to_bits(), Some(c1.clone())),
                ]),
            };
            kinds
                .iter()
                .filter_map(|&k| a.bisect(k, (*x0, c0), (*x1, c1)))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
}

/// Adds to the bisected decisions the API's (from the self-hosting break-even in `breakevens`), drops a change of
/// provisioning that only follows a split into regions, and orders them by deployment, axis, coordinate and kind,
/// each with its sentence.
pub fn finish(
    mut found: Vec<Decision>,
    points: &[Point],
    s: &Scenario,
    sweep: &Sweep,
    catalog: &Catalog,
    breakevens: &[Breakeven],
) -> Vec<Decision> {
    let vols = sorted(&s.volume);
    for d in &s.deployments {
        let mut a = Axis {
            sweep,
            catalog,
            deployment: &d.name,
            axis: DecisionAxis::Volume,
            fixed: 1.0,
            seen: BTreeMap::new(),
        };
        found.extend(api(d, points, &vols, breakevens, &mut a));
    }
    // A split into regions changes each fleet's provisioning with it: the split is the decision.
    let splits: Vec<(&str, DecisionAxis, f64)> = found
        .iter()
        .filter(|x| x.what == DecisionKind::Region)
        .map(|x| (x.deployment.as_str(), x.variable, x.at))
        .collect();
    let mut out: Vec<Decision> = found
        .iter()
        .filter(|x| {
            x.what != DecisionKind::Policy
                || !splits.contains(&(x.deployment.as_str(), x.variable, x.at))
        })
        .cloned()
        .collect();
    let rank = |x: &Decision| {
        s.deployments
            .iter()
            .position(|d| d.name == x.deployment)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|x, y| {
        (rank(x), x.variable)
            .cmp(&(rank(y), y.variable))
            .then(x.at.total_cmp(&y.at))
            .then(x.what.cmp(&y.what))
    });
    for x in &mut out {
        x.description = x.sentence();
    }
    out
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// The API decision from the self-hosting break-even: at its volume self-hosting takes over from the API, which
/// was cheaper one grid step below. Not for fine-tuned models, which no shared API serves.
fn api(
    d: &scenario::Deployment,
    points: &[Point],
    vols: &[f64],
    breakevens: &[Breakeven],
    a: &mut Axis,
) -> Option<Decision> {
    if d.fine_tuned {
        return None;
    }
    let b = breakevens.iter().find(|b| {
        b.kind == BreakevenKind::SelfHostVsApi && b.deployment.as_deref() == Some(d.name.as_str())
    })?;
    let at = b.value?;
    let first = vols
        .iter()
        .find_map(|&v| best(points, &d.name, v, 1.0, 1.0))?;
    let api = api_for(d, first, a.catalog)?;
    let below = VolumeGrid::at(VolumeGrid::below(at * (1.0 - 1e-9)));
    let after = a.at(at)?;
    let before = cheapest(a.sweep.points_at(&d.name, below, 1.0))?;
    Some(Decision {
        deployment: d.name.clone(),
        variable: DecisionAxis::Volume,
        at,
        held: 1.0,
        what: DecisionKind::Api,
        from: format!("api {}", api.name),
        to: "self-host".into(),
        usd_before: api_cost(api, &before),
        usd_after: after.usd,
        description: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::first_change;

    #[test]
    fn bisection_finds_a_change_of_every_step_function_and_asks_only_inside() {
        for n in 2..40 {
            for step in 1..n {
                let mut asked = Vec::new();
                let i = first_change(n, |i| {
                    asked.push(i);
                    i < step
                });
                assert_eq!(i, step, "n {n}, step {step}");
                assert!(asked.iter().all(|&a| a > 0 && a < n - 1), "{asked:?}");
                assert!(asked.len() as f64 <= (n as f64).log2().ceil() + 1.0);
            }
        }
        // With several changes it still returns a position where the old choice ends.
        let same = |i: usize| i % 7 < 3;
        let i = first_change(27, same);
        assert!(same(i - 1) && !same(i), "{i}");
    }
}
