//! Why a plan may not serve every user group: the reason printed beside a plan the residency rules exclude.

use infercost_cost::Catalog;
use infercost_plan::result::PlanResult;
use std::collections::BTreeMap;

/// Each billed plan's jurisdiction, region and lawfulness, read once per report.
pub(crate) struct Residency<'a> {
    r: &'a PlanResult,
    /// plan → (jurisdiction when known, provider region, lawful).
    plans: BTreeMap<String, (Option<String>, String, bool)>,
}

impl<'a> Residency<'a> {
    /// The plans billed in a result. A plan's jurisdiction comes from the scenario's own prices, else from
    /// the shipped catalog; a plan from a `--catalog` file has none, and its reason says less.
    pub(crate) fn of(r: &'a PlanResult) -> Residency<'a> {
        let catalog = Catalog::embedded();
        let geo = |plan: &str| {
            r.scenario
                .prices
                .iter()
                .chain(&catalog.plans)
                .find(|p| p.name == plan)
                .map(|p| p.geo.clone())
        };
        let mut plans = BTreeMap::new();
        for b in r.points.iter().flat_map(|p| &p.bills) {
            plans
                .entry(b.bill.plan.clone())
                .or_insert_with(|| (geo(&b.bill.plan), b.bill.region.clone(), b.lawful));
        }
        Residency { r, plans }
    }

    /// Whether a plan may serve every user group (plans never billed count as lawful).
    pub(crate) fn lawful(&self, plan: &str) -> bool {
        self.plans.get(plan).is_none_or(|p| p.2)
    }

    /// `None` for a lawful plan, else why not, e.g. "not allowed: EU users must be served in the EU; this plan
    /// is in the US (us-east-1)".
    pub(crate) fn breach(&self, plan: &str) -> Option<String> {
        let (geo, region, lawful) = self.plans.get(plan)?;
        if *lawful {
            return None;
        }
        let rules: Vec<String> = match (&self.r.scenario.geography, geo) {
            (Some(g), Some(geo)) => g
                .users
                .iter()
                .filter(|(_, share)| **share > 0.0)
                .filter_map(|(group, _)| {
                    let allowed = g.residency.get(group)?;
                    (!allowed.iter().any(|a| a == geo)).then(|| {
                        format!(
                            "{} users must be served in {}",
                            group_name(group),
                            allowed
                                .iter()
                                .map(|a| place(a))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        )
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(match (rules.is_empty(), geo) {
            (false, Some(geo)) if region.eq_ignore_ascii_case(geo) => format!(
                "not allowed: {}; this plan is in {}",
                rules.join("; "),
                place(geo)
            ),
            (false, Some(geo)) => format!(
                "not allowed: {}; this plan is in {} ({region})",
                rules.join("; "),
                place(geo)
            ),
            _ => format!(
                "not allowed: the residency rules forbid serving every user group from {region}"
            ),
        })
    }

    /// Why serving the `users` group from `served_in` breaks the residency rules, e.g. "EU users must be
    /// served in the EU, not the US"; `None` when it does not.
    pub(crate) fn route_breach(&self, users: &str, served_in: &str) -> Option<String> {
        let allowed = self.r.scenario.geography.as_ref()?.residency.get(users)?;
        (!allowed.iter().any(|a| a == served_in)).then(|| {
            format!(
                "{} users must be served in {}, not {}",
                group_name(users),
                allowed
                    .iter()
                    .map(|a| place(a))
                    .collect::<Vec<_>>()
                    .join(" or "),
                place(served_in)
            )
        })
    }
}

/// A jurisdiction as a user group: `eu` → `EU`, `asia` → `Asia`.
fn group_name(j: &str) -> String {
    if j.chars().count() <= 3 {
        j.to_uppercase()
    } else {
        let mut c = j.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
}

/// A jurisdiction as a place: `eu` → `the EU`, `asia` → `Asia`.
fn place(j: &str) -> String {
    if j.chars().count() <= 3 {
        format!("the {}", j.to_uppercase())
    } else {
        group_name(j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_places() {
        assert_eq!(group_name("eu"), "EU");
        assert_eq!(place("us"), "the US");
        assert_eq!(place("asia"), "Asia");
    }
}
