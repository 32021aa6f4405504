//! Importing SkyPilot-format catalogs (`vms.csv`) into infercost plans priced per GPU-hour by region.
//!
//! AWS and Azure rows price a whole instance; GCP prices the GPUs (rows without an instance type) and the host
//! VM separately, so a GCP GPU row is added to the host row of the same zone that carries that GPU.

use crate::csv_text::{is_blank, Records};
use infercost_cost::catalog::{Catalog, Commitment, Plan, MAX_USD_PER_GPU_HOUR};
use infercost_cost::CostError;
use std::collections::BTreeMap;

/// The infercost GPU name for a SkyPilot accelerator name, when infercost models that GPU.
pub fn gpu_name(accelerator: &str) -> Option<&'static str> {
    Some(match accelerator {
        "H100" | "H100-MEGA" => "h100-sxm",
        "A100" => "a100-40gb",
        "A100-80GB" => "a100-80gb",
        "H200" => "h200",
        "B200" => "b200",
        "L40S" => "l40s",
        "L4" => "l4",
        _ => return None,
    })
}

/// GCP host VM families and the accelerator they carry.
fn gcp_host_accelerator(instance: &str) -> Option<(&'static str, u32)> {
    let families = [
        ("a2-highgpu-", "A100"),
        ("a2-ultragpu-", "A100-80GB"),
        ("a3-highgpu-", "H100"),
        ("a3-megagpu-", "H100-MEGA"),
        ("a3-ultragpu-", "H200"),
        ("a4-highgpu-", "B200"),
    ];
    for (prefix, acc) in families {
        if let Some(rest) = instance.strip_prefix(prefix) {
            let count = rest.strip_suffix('g')?.parse().ok()?;
            return Some((acc, count));
        }
    }
    // g2-standard-N carries one L4 up to 32 vCPUs; the smallest host is the cheapest way to one L4.
    if instance == "g2-standard-4" {
        return Some(("L4", 1));
    }
    None
}

/// (zone, accelerator, GPU count) of a GCP host VM.
type HostKey = (String, String, u32);
/// (price, spot price, instance type) of a GCP host VM.
type HostPrice = (f64, Option<f64>, String);
/// One way to rent a GPU in a region: an instance (or GCP GPU plus host) in one zone.
#[derive(Clone)]
struct Candidate {
    gpus: u32,
    usd_per_gpu_hour: f64,
    spot_usd_per_gpu_hour: Option<f64>,
    zone: String,
    what: String,
}

struct Row {
    line: usize,
    instance: String,
    accelerator: String,
    count: u32,
    price: f64,
    spot: Option<f64>,
    region: String,
    zone: String,
}

/// What an import produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The plans, as a catalog.
    pub catalog: Catalog,
    /// Rows skipped because infercost does not model their accelerator (TPUs, T4s, …).
    pub skipped_rows: usize,
}

/// A catalog error at a line of `file`.
fn error(file: &str, line: Option<usize>, message: String) -> CostError {
    CostError::Catalog {
        file: file.to_string(),
        line,
        message,
    }
}

/// The priced rows of a `vms.csv`, each with the line it starts on; rows without an on-demand price are left
/// out.
fn read_rows(text: &str, file: &str) -> Result<Vec<Row>, CostError> {
    let err = |line: Option<usize>, message: String| error(file, line, message);
    let mut records = Records::new(text);
    let header: Vec<String> = records
        .next_record()
        .ok_or_else(|| err(Some(1), "empty file".into()))?
        .1
        .iter()
        .map(|f| f.trim().to_string())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            err(
                Some(1),
                format!("no column {name:?} (columns: {})", header.join(",")),
            )
        })
    };
    let (ci, ca, cc, cp, cs, cr) = (
        col("InstanceType")?,
        col("AcceleratorName")?,
        col("AcceleratorCount")?,
        col("Price")?,
        col("SpotPrice")?,
        col("Region")?,
    );
    let cz = header.iter().position(|h| h == "AvailabilityZone");
    let mut rows = Vec::new();
    while let Some((line, fields)) = records.next_record() {
        if is_blank(fields) {
            continue;
        }
        let get = |c: usize| {
            fields
                .get(c)
                .map(|f| f.trim().to_string())
                .unwrap_or_default()
        };
        let price = get(cp);
        let Ok(price) = price.parse::<f64>() else {
            // Rows without an on-demand price (capacity-only listings) cannot be priced.
            continue;
        };
        if !(price.is_finite() && price >= 0.0) {
            return Err(err(Some(line), format!("price {price} is negative")));
        }
        rows.push(Row {
            line,
            instance: get(ci),
            accelerator: get(ca),
            count: get(cc).parse::<f64>().map(|c| c as u32).unwrap_or(0),
            price,
            // An empty, zero or non-finite spot price means no spot offer, not a free or infinite one.
            spot: get(cs)
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0),
            region: get(cr),
            zone: cz.map(get).unwrap_or_default(),
        });
    }
    Ok(rows)
}

/// GCP host VMs by zone, accelerator and count: the price added to each GPU row of that zone.
fn gcp_hosts(rows: &[Row]) -> BTreeMap<HostKey, HostPrice> {
    rows.iter()
        .filter(|r| r.accelerator.is_empty())
        .filter_map(|r| {
            gcp_host_accelerator(&r.instance).map(|(acc, n)| {
                (
                    (r.zone.clone(), acc.to_string(), n),
                    (r.price, r.spot, r.instance.clone()),
                )
            })
        })
        .collect()
}

/// Ways to rent each modelled GPU by (gpu, region), and how many rows had an accelerator infercost does not
/// model.
type Candidates = (BTreeMap<(String, String), Vec<Candidate>>, usize);

/// Every GPU row priced per GPU-hour (a GCP GPU with its host), grouped by GPU and region.
fn candidates(
    rows: &[Row],
    hosts: &BTreeMap<HostKey, HostPrice>,
    file: &str,
) -> Result<Candidates, CostError> {
    let mut skipped = 0;
    let mut best: BTreeMap<(String, String), Vec<Candidate>> = BTreeMap::new();
    for r in rows {
        if r.accelerator.is_empty() {
            continue;
        }
        let Some(gpu) = gpu_name(&r.accelerator) else {
            skipped += 1;
            continue;
        };
        if r.count == 0 {
            continue;
        }
        let (price, spot, what) = if r.instance.is_empty() {
            match hosts.get(&(r.zone.clone(), r.accelerator.clone(), r.count)) {
                Some((hp, hs, host)) => (
                    r.price + hp,
                    r.spot.zip(*hs).map(|(a, b)| a + b),
                    format!(
                        "{} {} ${:.5}/h + host {host} ${hp:.5}/h in {}",
                        r.count, r.accelerator, r.price, r.zone
                    ),
                ),
                None => continue,
            }
        } else {
            (
                r.price,
                r.spot,
                format!(
                    "{} {} ${:.5}/h for {} {}",
                    r.instance, r.region, r.price, r.count, r.accelerator
                ),
            )
        };
        let n = r.count as f64;
        let mut per_gpu = [Some(price), spot].into_iter().flatten().map(|p| p / n);
        if per_gpu.any(|p| !(p.is_finite() && p <= MAX_USD_PER_GPU_HOUR)) {
            // A GPU row plus its host can overflow where neither row alone does.
            return Err(error(
                file,
                Some(r.line),
                format!(
                    "{} {} in {}: ${price}/h is not a price per hour a catalog can hold (at most \
                     ${MAX_USD_PER_GPU_HOUR} per GPU-hour)",
                    r.count, r.accelerator, r.zone
                ),
            ));
        }
        best.entry((gpu.to_string(), r.region.clone()))
            .or_default()
            .push(Candidate {
                gpus: r.count,
                usd_per_gpu_hour: price / n,
                spot_usd_per_gpu_hour: spot.map(|s| s / n),
                zone: if r.zone.is_empty() {
                    r.region.clone()
                } else {
                    r.zone.clone()
                },
                what,
            });
    }
    Ok((best, skipped))
}

/// Where a catalog's figures come from: the provider, the file and the date they hold for.
struct Origin<'a> {
    provider: &'a str,
    file: &'a str,
    as_of: &'a str,
}

/// The on-demand plan of one GPU in one region and, when any zone offers spot, its spot plan (first).
fn region_plans(origin: &Origin, gpu: &str, region: &str, mut cands: Vec<Candidate>) -> Vec<Plan> {
    let Origin {
        provider,
        file,
        as_of,
    } = *origin;
    let egress = if ["aws", "gcp", "azure"].contains(&provider) {
        provider
    } else {
        "none"
    };
    // A whole node (the most GPUs) is what tensor parallelism rents; among its zones, the lowest price.
    let max_count = cands.iter().map(|c| c.gpus).max().unwrap_or(1);
    cands.retain(|c| c.gpus == max_count);
    cands.sort_by(|a, b| a.usd_per_gpu_hour.total_cmp(&b.usd_per_gpu_hour));
    let Some(cheapest) = cands.first().cloned() else {
        return Vec::new();
    };
    let (price, what, zone) = (cheapest.usd_per_gpu_hour, cheapest.what, cheapest.zone);
    let zones_od = cands.len();
    // Spot prices move zone by zone; the median is the price a fleet spread over the zones pays.
    let mut spots: Vec<(f64, &str)> = cands
        .iter()
        .filter_map(|c| c.spot_usd_per_gpu_hour.map(|s| (s, c.zone.as_str())))
        .collect();
    spots.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    let base = Plan {
        name: format!("{provider}-{gpu}-on-demand-{region}"),
        provider: provider.to_string(),
        gpu: gpu.to_string(),
        region: region.to_string(),
        geo: geo_of(region),
        commitment: Commitment::OnDemand,
        usd_per_gpu_hour: round4(price),
        billing_granularity_s: 1,
        billing_minimum_s: 60,
        lead_time_s: 600,
        interruption_overhead: 0.0,
        burst_plan: None,
        egress: egress.to_string(),
        source: format!(
            "SkyPilot-format catalog {file}: {what}; zone {zone}, the lowest on-demand price of {zones_od} \
             zone{}",
            if zones_od == 1 { "" } else { "s" }
        ),
        as_of: as_of.to_string(),
        owned: None,
    };
    let mut plans = Vec::new();
    if let Some(median) = median(&spots.iter().map(|s| s.0).collect::<Vec<_>>()) {
        let zones: Vec<String> = spots.iter().map(|(p, z)| format!("{z} ${p:.4}")).collect();
        plans.push(Plan {
            name: format!("{provider}-{gpu}-spot-{region}"),
            commitment: Commitment::Spot,
            usd_per_gpu_hour: round4(median),
            interruption_overhead: 0.10,
            burst_plan: Some(base.name.clone()),
            source: format!(
                "SkyPilot-format catalog {file}: spot {gpu} in {region}, median of {} zone{} ({}) per GPU-hour; \
                 10% interruption overhead assumed",
                spots.len(),
                if spots.len() == 1 { "" } else { "s" },
                zones.join(", ")
            ),
            ..base.clone()
        });
    }
    plans.push(base);
    plans
}

/// Imports one SkyPilot `vms.csv`. `provider` names the cloud (`aws`, `gcp`, `azure`, …); `file` is used in
/// messages and sources; `as_of` dates every figure.
pub fn import(text: &str, provider: &str, file: &str, as_of: &str) -> Result<Import, CostError> {
    let rows = read_rows(text, file)?;
    // GCP: add the host VM's price to each GPU row.
    let hosts = gcp_hosts(&rows);
    let (best, skipped) = candidates(&rows, &hosts, file)?;
    let origin = Origin {
        provider,
        file,
        as_of,
    };
    let plans = best
        .into_iter()
        .flat_map(|((gpu, region), cands)| region_plans(&origin, &gpu, &region, cands))
        .collect();
    Ok(Import {
        catalog: Catalog {
            plans,
            egress: Vec::new(),
            apis: Vec::new(),
        },
        skipped_rows: skipped,
    })
}

/// The first `YYYY-MM-DD` date in a file's path (`anycloud_catalog_2026-05-20/gcp_vms.csv`): the date its
/// figures were published or read, which is what a price's `as_of` must say.
pub fn date_in_name(path: &str) -> Option<String> {
    let b = path.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        let boundary = |j: Option<&u8>| j.is_none_or(|c| !c.is_ascii_digit());
        if !(digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10)) {
            return None;
        }
        if !(boundary(i.checked_sub(1).and_then(|j| b.get(j))) && boundary(b.get(i + 10))) {
            return None;
        }
        let s = std::str::from_utf8(w).ok()?;
        is_date(s).then(|| s.to_string())
    })
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let days = match m {
                2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                1..=12 => 31,
                _ => 0,
            };
            (1900..=9999).contains(&y) && (1..=days).contains(&d)
        }
        _ => false,
    }
}

/// A price to four decimals (a hundredth of a cent), left as it is where scaling would overflow.
fn round4(x: f64) -> f64 {
    let r = (x * 1e4).round() / 1e4;
    if r.is_finite() {
        r
    } else {
        x
    }
}

/// The median of sorted values: the middle one, or the mean of the two middle ones for an even count.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// EU and EEA countries by ISO code: the GDPR applies to all of them, so residency rules treat them as `eu`.
const EEA: [&str; 30] = [
    "at", "be", "bg", "hr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "gr", "hu", "ie", "it", "lv",
    "lt", "lu", "mt", "nl", "pl", "pt", "ro", "sk", "si", "es", "se", "is", "li", "no",
];

/// AWS region prefixes (`ap-northeast-1`) and their jurisdictions; the first match wins.
const AWS_REGIONS: [(&str, &str); 25] = [
    ("us-", "us"),
    ("ca-", "ca"),
    ("mx-", "mx"),
    ("sa-east-", "br"),
    ("eu-west-2", "uk"),
    ("eu-central-2", "ch"),
    ("eu-", "eu"),
    ("ap-northeast-1", "jp"),
    ("ap-northeast-3", "jp"),
    ("ap-northeast-2", "kr"),
    ("ap-southeast-1", "sg"),
    ("ap-southeast-2", "au"),
    ("ap-southeast-4", "au"),
    ("ap-southeast-3", "id"),
    ("ap-southeast-5", "my"),
    ("ap-southeast-7", "th"),
    ("ap-south-", "in"),
    ("ap-east-1", "hk"),
    ("ap-east-2", "tw"),
    ("me-south-1", "bh"),
    ("me-central-1", "ae"),
    ("il-central-", "il"),
    ("af-south-", "za"),
    ("cn-", "cn"),
    ("ap-southeast-6", "nz"),
];

/// GCP region prefixes (`asia-northeast1`; Lambda writes `asia-northeast-1`) and their jurisdictions.
const GCP_REGIONS: [(&str, &str); 25] = [
    ("us-", "us"),
    ("northamerica-northeast", "ca"),
    ("northamerica-south", "mx"),
    ("southamerica-east", "br"),
    ("southamerica-west", "cl"),
    ("europe-west2", "uk"),
    ("europe-west6", "ch"),
    ("europe-", "eu"),
    ("asia-northeast1", "jp"),
    ("asia-northeast2", "jp"),
    ("asia-northeast3", "kr"),
    ("asia-southeast1", "sg"),
    ("asia-southeast2", "id"),
    ("asia-southeast3", "th"),
    ("asia-south", "in"),
    ("asia-east1", "tw"),
    ("asia-east2", "hk"),
    ("australia-", "au"),
    ("me-west1", "il"),
    ("me-central1", "qa"),
    ("me-central2", "sa"),
    ("africa-south", "za"),
    ("asia-", "apac"),
    ("me-", "me"),
    ("africa-", "africa"),
];

/// Words in Azure region names (`japaneast`, `uksouth`) and their jurisdictions; the first match wins.
const AZURE_WORDS: [(&str, &str); 27] = [
    ("southeastasia", "sg"),
    ("eastasia", "hk"),
    ("japan", "jp"),
    ("korea", "kr"),
    ("india", "in"),
    ("indonesia", "id"),
    ("malaysia", "my"),
    ("australia", "au"),
    ("newzealand", "nz"),
    ("canada", "ca"),
    ("brazil", "br"),
    ("mexico", "mx"),
    ("chile", "cl"),
    ("uae", "ae"),
    ("qatar", "qa"),
    ("israel", "il"),
    ("southafrica", "za"),
    ("switzerland", "ch"),
    ("uk", "uk"),
    ("europe", "eu"),
    ("france", "eu"),
    ("germany", "eu"),
    ("sweden", "eu"),
    ("norway", "eu"),
    ("poland", "eu"),
    ("italy", "eu"),
    ("spain", "eu"),
];

/// A region's jurisdiction for residency rules, from its name in any of the SkyPilot catalogs: a country code
/// (`us`, `uk`, `jp`, `kr`, `in`, `sg`, `au`, `ca`, `br`, `ch`, …), `eu` for the EU and EEA, and `other` only for
/// a name no table knows. AWS (`ap-northeast-1`), GCP (`asia-northeast1`), Lambda (`asia-northeast-1`), Azure
/// (`japaneast`) and Vast (`Tokyo, JP, AS`) names are all recognised.
pub fn geo_of(region: &str) -> String {
    let r = region.trim().to_ascii_lowercase();
    // Vast: "Place, CC, Continent" with an ISO country code.
    let parts: Vec<&str> = r.split(',').map(str::trim).collect();
    if parts.len() == 3 && parts[1].len() == 2 {
        let cc = parts[1];
        return match cc {
            _ if EEA.contains(&cc) => "eu".into(),
            "gb" => "uk".into(),
            _ => cc.into(),
        };
    }
    if let Some((_, g)) = AWS_REGIONS.iter().find(|(p, _)| r.starts_with(p)) {
        return (*g).into();
    }
    // Lambda writes GCP's names with a dash before the number.
    let gcp = match r.rsplit_once('-') {
        Some((head, n)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
            format!("{head}{n}")
        }
        _ => r.clone(),
    };
    if let Some((_, g)) = GCP_REGIONS
        .iter()
        .find(|(p, _)| r.starts_with(p) || gcp.starts_with(p))
    {
        return (*g).into();
    }
    let words = ["austria", "belgium", "denmark", "finland", "netherlands"];
    if words.iter().any(|w| r.contains(w)) {
        return "eu".into();
    }
    if let Some((_, g)) = AZURE_WORDS.iter().find(|(w, _)| {
        if *w == "uk" {
            r.starts_with(w)
        } else {
            r.contains(w)
        }
    }) {
        return (*g).into();
    }
    if r.trim_end_matches(|c: char| c.is_ascii_digit())
        .ends_with("us")
    {
        return "us".into();
    }
    "other".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_rows_with_quoted_gpu_info() {
        let text = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\n\
p5.48xlarge,H100,8.0,192.0,2048.0,\"{'Gpus': [{'Name': 'H100', 'Count': 8}]}\",55.04,20.0,us-east-1,use1-az1,x86_64\n\
p5.4xlarge,H100,1.0,16.0,256.0,\"{}\",6.88,,us-east-1,use1-az1,x86_64\n";
        let imp = import(text, "aws", "vms.csv", "2026-11-27").unwrap();
        let od = imp
            .catalog
            .plans
            .iter()
            .find(|p| p.commitment == Commitment::OnDemand)
            .unwrap();
        assert_eq!(od.usd_per_gpu_hour, 6.88);
        assert!(od.source.contains("p5.48xlarge"));
        let spot = imp
            .catalog
            .plans
            .iter()
            .find(|p| p.commitment == Commitment::Spot)
            .unwrap();
        assert_eq!(spot.usd_per_gpu_hour, 2.5);
    }

    #[test]
    fn gcp_gpu_rows_add_their_host() {
        let text = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice\n\
a3-highgpu-8g,208.0,1872.0,,,,us-central1,us-central1-a,9.46006,3.86318\n\
,,,H100,8,{},us-central1,us-central1-a,33.60609,32.0104\n\
,,,T4,1,{},us-central1,us-central1-a,0.35,0.1\n";
        let imp = import(text, "gcp", "gcp_vms.csv", "2026-05-20").unwrap();
        let od = imp
            .catalog
            .plans
            .iter()
            .find(|p| p.commitment == Commitment::OnDemand)
            .unwrap();
        assert!(
            (od.usd_per_gpu_hour - 5.3833).abs() < 1e-4,
            "{}",
            od.usd_per_gpu_hour
        );
        assert_eq!(imp.skipped_rows, 1);
    }

    #[test]
    fn spot_is_the_true_median_and_names_its_zones() {
        // AWS p4d.24xlarge in Tokyo (skypilot-catalog v8): spot $30.0978/h in apne1-az1, $7.5205/h in apne1-az4.
        let text = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\n\
p4d.24xlarge,A100,8.0,96.0,1152.0,{},30.09784,30.097800,ap-northeast-1,apne1-az1,x86_64\n\
p4d.24xlarge,A100,8.0,96.0,1152.0,{},30.09784,7.520500,ap-northeast-1,apne1-az4,x86_64\n";
        let imp = import(text, "aws", "aws_vms.csv", "2026-11-27").unwrap();
        let spot = imp
            .catalog
            .plans
            .iter()
            .find(|p| p.commitment == Commitment::Spot)
            .unwrap();
        assert_eq!(spot.usd_per_gpu_hour, 2.3511);
        assert_eq!(spot.geo, "jp");
        assert!(
            spot.source.contains("apne1-az1 $3.7622") && spot.source.contains("apne1-az4 $0.9401"),
            "{}",
            spot.source
        );
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn dates_come_from_the_catalog_path() {
        assert_eq!(
            date_in_name("data/anycloud_catalog_2026-05-20/gcp_vms.csv").as_deref(),
            Some("2026-05-20")
        );
        assert_eq!(date_in_name("aws_vms.csv"), None);
        assert_eq!(date_in_name("v2026-13-01.csv"), None);
        assert_eq!(date_in_name("12026-01-01"), None);
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2026-5-1"));
    }

    #[test]
    fn regions_map_to_jurisdictions() {
        for (region, geo) in [
            ("eu-north-1", "eu"),
            ("westeurope", "eu"),
            ("eastus2", "us"),
            ("us-central1", "us"),
            ("ap-northeast-1", "jp"),
            ("asia-northeast1", "jp"),
            ("asia-northeast-1", "jp"),
            ("japaneast", "jp"),
            ("Japan, JP, AS", "jp"),
            ("eu-west-2", "uk"),
            ("europe-west2", "uk"),
            ("uksouth", "uk"),
            ("ap-south-1", "in"),
            ("centralindia", "in"),
            ("ap-southeast-1", "sg"),
            ("southeastasia", "sg"),
            ("eastasia", "hk"),
            ("australiaeast", "au"),
            ("austriaeast", "eu"),
            ("koreacentral", "kr"),
            ("asia-northeast3", "kr"),
            ("canadacentral", "ca"),
            ("northamerica-northeast1", "ca"),
            ("brazilsouth", "br"),
            ("sa-east-1", "br"),
            ("switzerlandnorth", "ch"),
            ("europe-west6", "ch"),
            ("norwayeast", "eu"),
            ("Norway, NO, EU", "eu"),
            ("Sweden, SE, EU", "eu"),
            ("me-west-1", "il"),
            ("me-central-1", "ae"),
            ("me-central1", "qa"),
            ("southafricanorth", "za"),
        ] {
            assert_eq!(geo_of(region), geo, "{region}");
        }
        assert_eq!(geo_of("mars-north-1"), "other");
    }
}
