//! The forecast bills as a FinOps FOCUS 1.2 cost-and-usage file: one CSV row per bill line, amounts written from
//! the bills' integer micro-dollars so that a bill's rows add up to its total exactly.

use crate::csv::push_record;
use infercost_core::Usd;
use infercost_cost::Bill;
use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, Point, Policy};
use serde_json::{Map, Value};

/// The FOCUS columns written, in order.
pub const COLUMNS: [&str; 35] = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ServiceCategory",
    "ServiceName",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "ResourceType",
    "PricingQuantity",
    "PricingUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "SkuId",
    "CommitmentDiscountId",
    "CommitmentDiscountType",
    "CommitmentDiscountCategory",
    "CommitmentDiscountStatus",
    "PricingCategory",
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "Tags",
];

/// The billing account every row is charged to: a forecast has no invoice account of its own.
pub const BILLING_ACCOUNT_ID: &str = "infercost-forecast";

/// The forecast month the rows are charged to: a calendar month, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// A calendar month; `None` unless the month is 1 to 12 and the year 1 to 9998 (the month after must be
    /// writable too).
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((1..=12).contains(&month) && (1..=9998).contains(&year)).then_some(Period { year, month })
    }

    /// Reads `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Period> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Period::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// The month after this one.
    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month's first instant, ISO 8601 UTC.
    fn start(self) -> String {
        format!("{:04}-{:02}-01T00:00:00Z", self.year, self.month)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct FocusOptions {
    /// The month charged.
    pub period: Period,
    /// Add every plan's whole-traffic bill at every point to the chosen serving's bills.
    pub all_plans: bool,
}

/// The FOCUS file and what could not go into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// The CSV text, header first.
    pub csv: String,
    /// Bills written.
    pub bills: usize,
    /// Fleets of a chosen serving left out because the result does not carry their own bill (results planned
    /// before per-fleet bills were recorded, for points that serve user groups apart), one sentence each.
    pub skipped: Vec<String>,
}

/// One bill with what the rows say about where it comes from.
struct Source<'a> {
    point: &'a Point,
    bill: &'a Bill,
    policy: Policy,
    /// `serving` (a fleet of the point's chosen serving) or `plan` (a plan's whole-traffic bill).
    scope: &'static str,
    users: String,
    served_in: String,
    lawful: bool,
    headline: bool,
}

/// Writes the bills of `r` as FOCUS 1.2 rows: by default each fleet of every point's chosen serving; with
/// `all_plans` also every plan's whole-traffic bill. Each bill gives five rows (busy GPU time, idle GPU time,
/// internet egress, inter-region transfer, API), whose `BilledCost` adds up to the bill's total exactly.
pub fn focus_csv(r: &PlanResult, opts: &FocusOptions) -> Focus {
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for p in &r.points {
        let headline = best(&r.points, &p.deployment, p.volume, p.context, p.burst)
            .is_some_and(|b| std::ptr::eq(b, p));
        for s in &p.serving {
            // A result without per-fleet bills still has the bill when one fleet serves everyone on one plan: it
            // is that plan's whole-traffic bill.
            let bill = s.bill.as_ref().or_else(|| {
                (p.serving.len() == 1)
                    .then(|| p.bills.iter().find(|b| b.bill.plan == s.plan))
                    .flatten()
                    .map(|b| &b.bill)
            });
            match bill {
                Some(bill) => sources.push(Source {
                    point: p,
                    bill,
                    policy: s.policy,
                    scope: "serving",
                    users: s.users.join(","),
                    served_in: s.served_in.clone(),
                    lawful: true,
                    headline,
                }),
                None => skipped.push(format!(
                    "{} at volume {}×, context {}×, burst {}× on {}: the fleet on {} serving {} has no bill of its own in this result (plan again to record it)",
                    p.deployment,
                    p.volume,
                    p.context,
                    p.burst,
                    p.gpu,
                    s.plan,
                    if s.users.is_empty() { "everyone".to_string() } else { s.users.join(", ") }
                )),
            }
        }
        if opts.all_plans {
            for b in &p.bills {
                sources.push(Source {
                    point: p,
                    bill: &b.bill,
                    policy: b.policy,
                    scope: "plan",
                    users: String::new(),
                    served_in: b.bill.region.clone(),
                    lawful: b.lawful,
                    headline: false,
                });
            }
        }
    }
    let mut csv = String::new();
    push_record(&mut csv, COLUMNS.iter().map(|c| c.to_string()));
    for s in &sources {
        for row in rows(s, opts.period) {
            push_record(&mut csv, row);
        }
    }
    Focus {
        csv,
        bills: sources.len(),
        skipped,
    }
}

/// One line of a bill.
struct Line {
    amount: Usd,
    what: &'static str,
    service_category: &'static str,
    service_name: &'static str,
    resource_type: &'static str,
    /// Quantity and unit, when the bill knows the quantity.
    quantity: Option<(f64, &'static str)>,
    /// `Some(used)` for GPU time on a term plan.
    committed: Option<bool>,
}

/// A bill's five rows, charged to the month.
fn rows(s: &Source, period: Period) -> Vec<Vec<String>> {
    let start = period.start();
    let end = period.next().start();
    let tags = tags(s);
    lines(s.bill)
        .iter()
        .map(|l| row(s, l, &start, &end, &tags))
        .collect()
}

/// A bill's five lines: busy and idle GPU time, internet egress, inter-region transfer, API overflow.
fn lines(b: &Bill) -> [Line; 5] {
    let term = b.committed_gpus.is_some();
    let idle_hours = (b.gpu_hours - b.busy_gpu_hours).max(0.0);
    [
        Line {
            amount: b.gpu_usd - b.idle_usd,
            what: "busy GPU time",
            service_category: "Compute",
            service_name: "GPU compute",
            resource_type: "GPU",
            quantity: Some((b.busy_gpu_hours, "GPU-Hours")),
            committed: term.then_some(true),
        },
        Line {
            amount: b.idle_usd,
            what: "idle GPU time",
            service_category: "Compute",
            service_name: "GPU compute",
            resource_type: "GPU",
            quantity: Some((idle_hours, "GPU-Hours")),
            committed: term.then_some(false),
        },
        Line {
            amount: b.egress_usd,
            what: "internet egress of responses",
            service_category: "Networking",
            service_name: "Internet egress",
            resource_type: "Network",
            quantity: Some((b.egress_gb, "GB")),
            committed: None,
        },
        Line {
            amount: b.transfer_usd,
            what: "inter-region transfer",
            service_category: "Networking",
            service_name: "Inter-region transfer",
            resource_type: "Network",
            quantity: None,
            committed: None,
        },
        Line {
            amount: b.api_usd,
            what: "per-token API overflow",
            service_category: "AI and Machine Learning",
            service_name: "LLM API",
            resource_type: "API",
            quantity: None,
            committed: None,
        },
    ]
}

/// One line's row, in the order of `COLUMNS`, charged from `start` to `end`.
fn row(s: &Source, l: &Line, start: &str, end: &str, tags: &str) -> Vec<String> {
    let b = s.bill;
    let p = s.point;
    let cost = decimal(l.amount);
    let purchase = l.committed.is_some();
    let (pq, pu) = match l.quantity {
        Some((q, u)) => (quantity(q), u.to_string()),
        None => (String::new(), String::new()),
    };
    // FOCUS leaves consumed quantities empty on purchases.
    let (cq, cu) = if purchase {
        (String::new(), String::new())
    } else {
        (pq.clone(), pu.clone())
    };
    let (cid, ctype, ccat, cstatus) = commitment(b, l);
    vec![
        cost.clone(),
        cost.clone(),
        cost.clone(),
        cost,
        "USD".to_string(),
        start.to_string(),
        end.to_string(),
        start.to_string(),
        end.to_string(),
        if purchase { "Purchase" } else { "Usage" }.to_string(),
        String::new(),
        description(s, l),
        if purchase { "Recurring" } else { "Usage-Based" }.to_string(),
        l.service_category.to_string(),
        l.service_name.to_string(),
        b.provider.clone(),
        b.provider.clone(),
        b.provider.clone(),
        b.region.clone(),
        l.resource_type.to_string(),
        pq,
        pu,
        cq,
        cu,
        b.plan.clone(),
        cid,
        ctype,
        ccat,
        cstatus,
        pricing_category(b, l).to_string(),
        BILLING_ACCOUNT_ID.to_string(),
        "infercost forecast".to_string(),
        p.deployment.clone(),
        p.deployment.clone(),
        tags.to_string(),
    ]
}

/// The `ChargeDescription`: the line, where the bill sits in the sweep, and its plan.
fn description(s: &Source, l: &Line) -> String {
    let b = s.bill;
    let p = s.point;
    // Term plans also carry GPU-hours above the commitment, billed at the burst plan's rate.
    let burst =
        if l.committed.is_some() && b.gpu_hours > b.committed_gpus.unwrap_or(0.0) * 730.0 + 1e-6 {
            ", including GPU-hours above the commitment at its burst plan's rate"
        } else {
            ""
        };
    format!(
        "{}: {} at volume {}×, context {}×, burst {}× on {} ({}, {}){}",
        l.what, p.deployment, p.volume, p.context, p.burst, b.plan, b.commitment, s.policy, burst
    )
}

/// The `PricingCategory`: committed GPU time, spot GPU time, or list price.
fn pricing_category(b: &Bill, l: &Line) -> &'static str {
    if l.committed.is_some() {
        "Committed"
    } else if b.commitment == "spot" && l.resource_type == "GPU" {
        "Dynamic"
    } else {
        "Standard"
    }
}

/// The commitment discount's id, type, category and status: set on GPU time of a term plan, empty otherwise.
fn commitment(b: &Bill, l: &Line) -> (String, String, String, String) {
    match l.committed {
        Some(used) => (
            b.plan.clone(),
            b.commitment.clone(),
            "Usage".to_string(),
            if used { "Used" } else { "Unused" }.to_string(),
        ),
        None => Default::default(),
    }
}

/// The FOCUS `Tags` object: where the bill sits in the sweep, every value a string.
fn tags(s: &Source) -> String {
    let p = s.point;
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), Value::String(v));
    };
    put("deployment", p.deployment.clone());
    put("volume", p.volume.to_string());
    put("context", p.context.to_string());
    put("burst", p.burst.to_string());
    put("plan", s.bill.plan.clone());
    put("gpu", p.gpu.clone());
    put("policy", s.policy.to_string());
    put("scope", s.scope.to_string());
    put("users", s.users.clone());
    put("served_in", s.served_in.clone());
    put("lawful", s.lawful.to_string());
    put("headline", s.headline.to_string());
    Value::Object(m).to_string()
}

/// Micro-dollars as an exact decimal.
fn decimal(u: Usd) -> String {
    let sign = if u.0 < 0 { "-" } else { "" };
    let a = u.0.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// A quantity to six decimals, without trailing zeros.
fn quantity(q: f64) -> String {
    let s = format!("{q:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use infercost_plan::result::Serving;
    use std::collections::BTreeMap;

    fn serving(bill: &Bill, users: &[&str], with_bill: bool) -> Serving {
        Serving {
            users: users.iter().map(|u| u.to_string()).collect(),
            served_in: bill.region.clone(),
            plan: bill.plan.clone(),
            policy: Policy::Static,
            tp: 1,
            pp: 1,
            ep: 1,
            attention_dp: false,
            replicas_peak: 1,
            max_rps_per_replica: 1.0,
            requests_peak_hour_share: 1.0,
            usd_per_month: bill.total_usd_per_month,
            transfer_usd: bill.transfer_usd,
            bill: with_bill.then(|| bill.clone()),
            buy_or_rent: None,
        }
    }

    /// The small plan with a chosen serving at every point: one fleet on the cheapest plan, and at the largest
    /// volume two fleets on two plans (a split), each with its own bill.
    fn with_serving() -> PlanResult {
        let mut r = small();
        for p in &mut r.points {
            let cheapest = p
                .bills
                .iter()
                .find(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
                .unwrap()
                .bill
                .clone();
            p.serving = if p.volume == 1000.0 {
                let mut us = p.bills[0].bill.clone();
                us.transfer_usd = Usd(1_234_567);
                us.total_usd_per_month += us.transfer_usd;
                vec![
                    serving(&cheapest, &["eu"], true),
                    serving(&us, &["us"], true),
                ]
            } else {
                vec![serving(&cheapest, &[], true)]
            };
        }
        r
    }

    /// Parses the CSV back: a header and rows keyed by column.
    fn parse(text: &str) -> Vec<BTreeMap<String, String>> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, COLUMNS);
        reader
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                assert_eq!(rec.len(), header.len(), "{rec:?}");
                header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(String::from))
                    .collect()
            })
            .collect()
    }

    fn micro(s: &str) -> i64 {
        let (whole, frac) = s.split_once('.').unwrap();
        assert_eq!(frac.len(), 6, "{s}");
        let m = whole.trim_start_matches('-').parse::<i64>().unwrap() * 1_000_000
            + frac.parse::<i64>().unwrap();
        if s.starts_with('-') {
            -m
        } else {
            m
        }
    }

    fn opts(all_plans: bool) -> FocusOptions {
        FocusOptions {
            period: Period::parse("2026-12").unwrap(),
            all_plans,
        }
    }

    /// Rows grouped by bill (the tags and the plan say which), with BilledCost summed in micro-dollars.
    fn sums(rows: &[BTreeMap<String, String>]) -> BTreeMap<String, i64> {
        let mut sums = BTreeMap::new();
        for row in rows {
            let key = format!("{}|{}", row["Tags"], row["SkuId"]);
            *sums.entry(key).or_insert(0) += micro(&row["BilledCost"]);
        }
        sums
    }

    #[test]
    fn each_bill_adds_up_to_its_total_to_the_micro_dollar() {
        let r = with_serving();
        let f = focus_csv(&r, &opts(false));
        assert!(f.skipped.is_empty());
        let rows = parse(&f.csv);
        assert_eq!(f.bills, 8 + 2);
        assert_eq!(rows.len(), 5 * f.bills);
        let sums = sums(&rows);
        assert_eq!(sums.len(), f.bills);
        for p in &r.points {
            for s in &p.serving {
                let bill = s.bill.as_ref().unwrap();
                let want = [p.volume, p.context, p.burst].map(|x| x.to_string());
                let key = sums
                    .iter()
                    .find(|(k, _)| {
                        let (tags, sku) = k.rsplit_once('|').unwrap();
                        let t: serde_json::Value = serde_json::from_str(tags).unwrap();
                        sku == bill.plan
                            && t["volume"] == want[0]
                            && t["context"] == want[1]
                            && t["burst"] == want[2]
                            && t["users"] == s.users.join(",")
                    })
                    .unwrap();
                assert_eq!(*key.1, bill.total_usd_per_month.0, "{}", key.0);
            }
        }
        // The split's transfer has its own row.
        assert!(rows
            .iter()
            .any(|r| r["ServiceName"] == "Inter-region transfer" && r["BilledCost"] == "1.234567"));
    }

    #[test]
    fn rows_follow_focus_1_2() {
        let f = focus_csv(&with_serving(), &opts(true));
        let rows = parse(&f.csv);
        for row in &rows {
            let tags: serde_json::Value = serde_json::from_str(&row["Tags"]).unwrap();
            for k in ["deployment", "volume", "context", "burst", "plan"] {
                assert!(tags[k].is_string(), "{k} in {}", row["Tags"]);
            }
            assert_eq!(tags["plan"], row["SkuId"].as_str());
            assert_eq!(row["BillingCurrency"], "USD");
            assert_eq!(row["BillingPeriodStart"], "2026-12-01T00:00:00Z");
            assert_eq!(row["BillingPeriodEnd"], "2027-01-01T00:00:00Z");
            assert_eq!(row["ChargePeriodStart"], row["BillingPeriodStart"]);
            assert_eq!(row["ChargePeriodEnd"], row["BillingPeriodEnd"]);
            assert_eq!(row["EffectiveCost"], row["BilledCost"]);
            let committed = !row["CommitmentDiscountId"].is_empty();
            assert_eq!(row["ChargeCategory"] == "Purchase", committed, "{row:?}");
            assert_eq!(row["BillingAccountId"], BILLING_ACCOUNT_ID);
            assert_eq!(tags["deployment"], row["SubAccountId"].as_str());
            assert_eq!(row["PricingCategory"] == "Committed", committed, "{row:?}");
            if committed {
                assert!(["Used", "Unused"].contains(&row["CommitmentDiscountStatus"].as_str()));
                assert_eq!(row["CommitmentDiscountCategory"], "Usage");
                assert!(row["ConsumedQuantity"].is_empty());
            } else {
                assert!(row["CommitmentDiscountStatus"].is_empty());
                assert!(row["CommitmentDiscountType"].is_empty());
            }
        }
        // The small plan has committed (bare-metal) and on-demand plans: both kinds of row appear.
        assert!(rows.iter().any(|r| r["ChargeCategory"] == "Purchase"));
        assert!(rows.iter().any(|r| r["ChargeCategory"] == "Usage"));
        // Every plan's whole-traffic bill is added: 4 plans at 8 points.
        assert_eq!(f.bills, 10 + 32);
        assert_eq!(sums(&rows).len(), 10 + 32);
    }

    #[test]
    fn an_older_result_uses_the_whole_traffic_bill_of_a_lone_fleet_and_names_what_it_cannot_write()
    {
        let mut r = with_serving();
        for p in &mut r.points {
            for s in &mut p.serving {
                s.bill = None;
            }
        }
        let f = focus_csv(&r, &opts(false));
        assert_eq!(f.bills, 6);
        assert_eq!(f.skipped.len(), 4, "{:?}", f.skipped);
        assert!(f.skipped[0].contains("has no bill of its own"));
        let rows = parse(&f.csv);
        assert_eq!(rows.len(), 30);
    }

    #[test]
    fn periods_parse_and_roll_over_the_year() {
        assert_eq!(
            Period::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert_eq!(
            Period::parse("2026-03").unwrap().next().to_string(),
            "2026-04"
        );
        for bad in [
            "2026-13", "2026-00", "26-01", "2026-1", "2026/01", "", "abcd-ef",
        ] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        let mut s = String::new();
        push_record(
            &mut s,
            [
                "a".to_string(),
                "b,c".to_string(),
                "{\"k\":\"v\"}".to_string(),
            ],
        );
        assert_eq!(s, "a,\"b,c\",\"{\"\"k\"\":\"\"v\"\"}\"\n");
        assert_eq!(decimal(Usd(-1_500_000)), "-1.500000");
        assert_eq!(decimal(Usd(7)), "0.000007");
    }
}
