//! Buy vs rent in a plan's result: a fleet's cheapest owned and rented bills.

use infercost_core::Usd;
use infercost_cost::Bill;
use serde::{Deserialize, Serialize};

/// A fleet's cheapest bill on owned servers and on rented GPUs, in the jurisdiction it serves from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuyOrRent {
    /// The cheapest owned plan.
    pub owned_plan: String,
    /// Its monthly bill.
    pub owned_usd: Usd,
    /// The cheapest rented plan, if any prices the fleet there.
    pub rented_plan: Option<String>,
    /// Its monthly bill.
    pub rented_usd: Option<Usd>,
}

impl BuyOrRent {
    /// The cheapest owned and rented bills among `bills` (each with whether its plan is owned); `None` without an
    /// owned one.
    pub fn among<'a>(bills: impl Iterator<Item = (&'a Bill, bool)>) -> Option<BuyOrRent> {
        let (owned, rented): (Vec<_>, Vec<_>) = bills.partition(|(_, owned)| *owned);
        let cheapest = |v: &[(&'a Bill, bool)]| {
            v.iter()
                .map(|(b, _)| *b)
                .min_by_key(|b| b.total_usd_per_month)
        };
        let o = cheapest(&owned)?;
        let r = cheapest(&rented);
        Some(BuyOrRent {
            owned_plan: o.plan.clone(),
            owned_usd: o.total_usd_per_month,
            rented_plan: r.map(|b| b.plan.clone()),
            rented_usd: r.map(|b| b.total_usd_per_month),
        })
    }
}
