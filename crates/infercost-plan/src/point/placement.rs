//! Placements: every lawful way to assign the point's user groups to jurisdictions, each jurisdiction's fleet
//! sized for the groups it serves (a group served away from home pays the round trip against its TTFT target
//! and the transfer) and billed on its cheapest plan there.

use super::assemble::Fleet;
use super::policy::{bill_fleet, Traffic};
use super::sizing::{size, Sizing};
use super::{allowed, plans_for, Ctx, Setup};
use crate::result::{BuyOrRent, PlacementOption, Policy, Route};
use crate::scenario::Geography;
use infercost_cost::Plan;
use infercost_cost::{Bill, Commitment};
use std::collections::BTreeMap;

/// A user group and its share of requests; its name is its home jurisdiction.
struct Group {
    name: String,
    share: f64,
}

/// The placements priced at a point, and why the others could not be.
pub(super) struct Placements {
    pub(super) options: Vec<PlacementOption>,
    pub(super) notes: Vec<String>,
    pub(super) sims: u32,
}

/// The most assignments of groups to jurisdictions priced one by one; past it only one jurisdiction for all is.
const MAX_ASSIGNMENTS: u64 = 512;

/// Every way to assign user groups to jurisdictions (each group where residency allows), priced with fleets
/// sized per jurisdiction. Returns the options (with the simulations they ran) and the cheapest allowed one's
/// fleets.
pub(super) fn placements(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    whole: &Sizing,
    coords: (f64, f64, f64),
    seed: u64,
) -> (Placements, Option<Vec<Fleet>>) {
    let Some(geo) = &ctx.scenario.geography else {
        let none = Placements {
            options: Vec::new(),
            notes: Vec::new(),
            sims: 0,
        };
        return (none, None);
    };
    let groups: Vec<Group> = geo
        .users
        .iter()
        .filter(|(_, sh)| **sh > 0.0)
        .map(|(n, sh)| Group {
            name: n.clone(),
            share: *sh,
        })
        .collect();
    let plans = plans_for(ctx.catalog, ctx.scenario, &setup.gpu);
    let mut jurisdictions: Vec<String> = plans.iter().map(|p| p.geo.clone()).collect();
    jurisdictions.sort();
    jurisdictions.dedup();
    let mut pricing = Pricing {
        ctx,
        geo,
        setup,
        plans,
        groups,
        jurisdictions,
        sizer: Sizer {
            ctx,
            setup_index,
            setup,
            whole,
            coords,
            seed,
            sized: BTreeMap::new(),
            sims: 0,
        },
    };
    let mut notes = pricing.unservable_groups();
    let mut options = Vec::new();
    let mut best: Option<(f64, Vec<Fleet>)> = None;
    for a in assignments(pricing.jurisdictions.len(), pricing.groups.len()) {
        match pricing.price(&a) {
            Priced::Skipped => {}
            Priced::Infeasible(note) => notes.push(note),
            Priced::Option(option, fleets) => {
                if option.allowed && best.as_ref().is_none_or(|(b, _)| option.usd_per_month < *b) {
                    best = Some((option.usd_per_month, fleets));
                }
                options.push(option);
            }
        }
    }
    let placements = Placements {
        options,
        notes,
        sims: pricing.sizer.sims,
    };
    (placements, best.map(|(_, f)| f))
}

/// Assignments of `groups` user groups to `n` jurisdictions, each as the jurisdiction index per group: all of
/// them when at most [`MAX_ASSIGNMENTS`], else each jurisdiction for everyone.
fn assignments(n: usize, groups: usize) -> Vec<Vec<usize>> {
    let count = (n as u64)
        .checked_pow(groups as u32)
        .filter(|&c| c <= MAX_ASSIGNMENTS);
    match count {
        Some(count) if n > 0 => (0..count)
            .map(|k| {
                let mut x = k;
                (0..groups)
                    .map(|_| {
                        let j = (x % n as u64) as usize;
                        x /= n as u64;
                        j
                    })
                    .collect()
            })
            .collect(),
        _ => (0..n).map(|j| vec![j; groups]).collect(),
    }
}

/// Fleets sized once per (set of groups, whether any is remote), with the simulations that took.
struct Sizer<'a, 'c> {
    ctx: &'a Ctx<'c>,
    setup_index: usize,
    setup: &'a Setup,
    whole: &'a Sizing,
    coords: (f64, f64, f64),
    seed: u64,
    sized: BTreeMap<(u64, bool), Option<Sizing>>,
    sims: u32,
}

impl Sizer<'_, '_> {
    /// The fleet for the groups in `mask` (a bit per group), under the TTFT target less the round trip when any
    /// of them is remote; `None` when no fleet meets it.
    fn get(&mut self, groups: &[Group], mask: u64, remote: bool, rtt_ms: f64) -> Option<Sizing> {
        if let Some(x) = self.sized.get(&(mask, remote)) {
            return x.clone();
        }
        let s = self.ctx.scenario;
        let share: f64 = groups
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, g)| g.share)
            .sum();
        let ttft = if remote {
            s.slo.ttft_ms - rtt_ms
        } else {
            s.slo.ttft_ms
        };
        let full = mask == (1u64 << groups.len()) - 1;
        let (volume, context, burst) = self.coords;
        let r = if full && !remote {
            Some(self.whole.clone())
        } else if ttft <= 0.0 {
            None
        } else {
            // Every sizing of a point draws from the point's seed (common random numbers): the fleet for
            // everyone under a tighter target sees the same traffic as the one under the plain target, so the
            // two differ by the target alone and not by the draw.
            let sized = size(
                self.ctx,
                self.setup_index,
                self.setup,
                (volume * share, context, burst),
                ttft,
                self.seed,
            );
            match sized {
                Ok(sz) => {
                    self.sims += sz.cap.sims;
                    Some(sz)
                }
                Err(u) => {
                    self.sims += u.sims;
                    None
                }
            }
        };
        self.sized.insert((mask, remote), r.clone());
        r
    }
}

/// What pricing one assignment gives.
enum Priced {
    /// Not shown: it breaks the residency rules across jurisdictions.
    Skipped,
    /// No fleet or plan serves it: why, for the point's reason.
    Infeasible(String),
    /// An option, with its fleets.
    Option(PlacementOption, Vec<Fleet>),
}

/// What every assignment of a point is priced against.
struct Pricing<'a, 'c> {
    ctx: &'a Ctx<'c>,
    geo: &'a Geography,
    setup: &'a Setup,
    plans: Vec<&'a Plan>,
    groups: Vec<Group>,
    jurisdictions: Vec<String>,
    sizer: Sizer<'a, 'c>,
}

impl Pricing<'_, '_> {
    /// Where a group's residency rule says it must be served.
    fn must_be_served_in(&self, group: &str) -> String {
        self.geo
            .residency
            .get(group)
            .map(|v| v.join(" or "))
            .unwrap_or_default()
    }

    /// A group whose residency leaves it no jurisdiction with a plan for this GPU cannot be served on it at all.
    fn unservable_groups(&self) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| {
                !self
                    .jurisdictions
                    .iter()
                    .any(|j| allowed(self.ctx.scenario, &g.name, j))
            })
            .map(|g| {
                format!(
                    "{} users must be served in {}, where the catalog prices no {}",
                    g.name,
                    self.must_be_served_in(&g.name),
                    self.setup.gpu
                )
            })
            .collect()
    }

    /// Prices one assignment (a jurisdiction index per group).
    fn price(&mut self, a: &[usize]) -> Priced {
        let single = a.iter().all(|&j| j == a[0]);
        let mut reasons: Vec<String> = self
            .groups
            .iter()
            .zip(a)
            .filter(|(g, &j)| !allowed(self.ctx.scenario, &g.name, &self.jurisdictions[j]))
            .map(|(g, _)| {
                format!(
                    "{} users must be served in {}",
                    g.name,
                    self.must_be_served_in(&g.name)
                )
            })
            .collect();
        // Only single-jurisdiction options are shown when not allowed: they say what the law costs.
        if !reasons.is_empty() && !single {
            return Priced::Skipped;
        }
        let mut fleets = Vec::new();
        let mut routes = Vec::new();
        let mut feasible = true;
        for ji in 0..self.jurisdictions.len() {
            match self.fleet_in(a, ji, &mut routes) {
                Ok(Some(f)) => fleets.push(f),
                Ok(None) => {}
                Err(why) => {
                    feasible = false;
                    reasons.push(why);
                }
            }
        }
        routes.sort_by(|x, y| x.users.cmp(&y.users));
        let name = self.option_name(a, single, &routes);
        if !feasible {
            return Priced::Infeasible(format!("{name}: {}", reasons.join("; ")));
        }
        let ok = reasons.is_empty();
        let option = PlacementOption {
            name,
            routes,
            usd_per_month: fleets
                .iter()
                .map(|f| f.bill.total_usd_per_month.dollars())
                .sum(),
            transfer_usd: fleets.iter().map(|f| f.bill.transfer_usd.dollars()).sum(),
            allowed: ok,
            reason: (!ok).then(|| reasons.join("; ")),
        };
        Priced::Option(option, fleets)
    }

    /// The fleet in jurisdiction `ji` for the groups the assignment puts there (none when it puts none), its
    /// routes added to `routes`; or why no fleet or plan there serves them.
    fn fleet_in(
        &mut self,
        a: &[usize],
        ji: usize,
        routes: &mut Vec<Route>,
    ) -> Result<Option<Fleet>, String> {
        let j = &self.jurisdictions[ji];
        let members: Vec<usize> = (0..self.groups.len()).filter(|&gi| a[gi] == ji).collect();
        if members.is_empty() {
            return Ok(None);
        }
        let mask = members.iter().fold(0u64, |m, &gi| m | (1 << gi));
        let share: f64 = members.iter().map(|&gi| self.groups[gi].share).sum();
        let remote_share: f64 = members
            .iter()
            .map(|&gi| &self.groups[gi])
            .filter(|g| &g.name != j)
            .map(|g| g.share)
            .sum();
        let remote = members.iter().any(|&gi| &self.groups[gi].name != j);
        let rtt = self.geo.cross_region_rtt_ms;
        let Some(sz) = self.sizer.get(&self.groups, mask, remote, rtt) else {
            return Err(if remote {
                format!(
                    "no fleet in {j} meets the TTFT target with {} added for remote users",
                    infercost_core::fmt::ms(rtt)
                )
            } else {
                format!("no fleet in {j} meets the SLO")
            });
        };
        let volume = self.sizer.coords.0 * share;
        let t = Traffic {
            volume,
            context: self.sizer.coords.1,
            share,
            remote_share,
        };
        let bills: Vec<(Policy, Bill, bool)> = self
            .plans
            .iter()
            .filter(|p| &p.geo == j)
            .filter_map(|p| {
                let owned = p.commitment == Commitment::Owned;
                bill_fleet(self.ctx, p, &sz, t).map(|(policy, b)| (policy, b, owned))
            })
            .collect();
        let buy_or_rent = BuyOrRent::among(bills.iter().map(|(_, b, owned)| (b, *owned)));
        let cheapest = bills
            .into_iter()
            .min_by_key(|(_, b, _)| b.total_usd_per_month)
            .map(|(policy, b, _)| (policy, b));
        let Some((policy, bill)) = cheapest else {
            return Err(format!("no plan prices {} in {j}", self.setup.gpu));
        };
        for &gi in &members {
            let g = &self.groups[gi];
            routes.push(Route {
                users: g.name.clone(),
                share: g.share,
                plan: bill.plan.clone(),
                served_in: j.clone(),
                added_rtt_ms: if &g.name == j { 0.0 } else { rtt },
            });
        }
        Ok(Some(Fleet {
            users: members
                .iter()
                .map(|&gi| self.groups[gi].name.clone())
                .collect(),
            served_in: j.clone(),
            policy,
            bill,
            sizing: sz,
            volume,
            traffic: t,
            buy_or_rent,
        }))
    }

    /// An option's short name: `all-in-J`, `split` (each group at home), or each group's route.
    fn option_name(&self, a: &[usize], single: bool, routes: &[Route]) -> String {
        if single {
            format!("all-in-{}", self.jurisdictions[a[0]])
        } else if self
            .groups
            .iter()
            .zip(a)
            .all(|(g, &j)| self.jurisdictions[j] == g.name)
        {
            "split".to_string()
        } else {
            routes
                .iter()
                .map(|r| format!("{}→{}", r.users, r.served_in))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}
