//! Importing SkyPilot-format catalogs (`vms.csv`) into infercost plans priced per GPU-hour by region.
//!
//! AWS and Azure rows price a whole instance; GCP prices the GPUs (rows without an instance type) and the host
//! VM separately, so a GCP GPU row is added to the host row of the same zone that carries that GPU.

use crate::catalog::{Catalog, Commitment, Plan};
use crate::CostError;
use infercost_core::csv_line::split;
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
/// (GPUs, per-GPU price, per-GPU spot price, description) of one way to rent a GPU in a region.
type Candidate = (u32, f64, Option<f64>, String);

struct Row {
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

/// Imports one SkyPilot `vms.csv`. `provider` names the cloud (`aws`, `gcp`, `azure`, …); `file` is used in
/// messages and sources; `as_of` dates every figure.
pub fn import(text: &str, provider: &str, file: &str, as_of: &str) -> Result<Import, CostError> {
    let err = |line: Option<usize>, message: String| CostError::Catalog {
        file: file.to_string(),
        line,
        message,
    };
    let mut lines = text.lines();
    let mut fields = Vec::new();
    split(
        lines
            .next()
            .ok_or_else(|| err(Some(1), "empty file".into()))?,
        &mut fields,
    );
    let header: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
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
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        split(line, &mut fields);
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
            return Err(err(Some(i + 2), format!("price {price} is negative")));
        }
        rows.push(Row {
            instance: get(ci),
            accelerator: get(ca),
            count: get(cc).parse::<f64>().map(|c| c as u32).unwrap_or(0),
            price,
            spot: get(cs).parse::<f64>().ok().filter(|s| *s > 0.0),
            region: get(cr),
            zone: cz.map(get).unwrap_or_default(),
        });
    }
    // GCP: add the host VM's price to each GPU row.
    let hosts: BTreeMap<HostKey, HostPrice> = rows
        .iter()
        .filter(|r| r.accelerator.is_empty())
        .filter_map(|r| {
            gcp_host_accelerator(&r.instance).map(|(acc, n)| {
                (
                    (r.zone.clone(), acc.to_string(), n),
                    (r.price, r.spot, r.instance.clone()),
                )
            })
        })
        .collect();
    let mut skipped = 0;
    // (gpu, region) -> candidates (count, per-GPU price, per-GPU spot, description)
    let mut best: BTreeMap<(String, String), Vec<Candidate>> = BTreeMap::new();
    for r in &rows {
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
        best.entry((gpu.to_string(), r.region.clone()))
            .or_default()
            .push((r.count, price / n, spot.map(|s| s / n), what));
    }
    let egress = if ["aws", "gcp", "azure"].contains(&provider) {
        provider
    } else {
        "none"
    };
    let mut plans = Vec::new();
    for ((gpu, region), mut cands) in best {
        // A whole node (the most GPUs) is what tensor parallelism rents; among its zones, the lowest price.
        let max_count = cands.iter().map(|c| c.0).max().unwrap_or(1);
        cands.retain(|c| c.0 == max_count);
        cands.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (_, price, _, what) = cands[0].clone();
        let mut spots: Vec<f64> = cands.iter().filter_map(|c| c.2).collect();
        spots.sort_by(f64::total_cmp);
        let base = Plan {
            name: format!("{provider}-{gpu}-on-demand-{region}"),
            provider: provider.to_string(),
            gpu: gpu.clone(),
            region: region.clone(),
            geo: geo_of(&region),
            commitment: Commitment::OnDemand,
            usd_per_gpu_hour: (price * 1e4).round() / 1e4,
            billing_granularity_s: 1,
            billing_minimum_s: 60,
            lead_time_s: 600,
            interruption_overhead: 0.0,
            burst_plan: None,
            egress: egress.to_string(),
            source: format!("SkyPilot-format catalog {file}: {what}"),
            as_of: as_of.to_string(),
        };
        if let Some(&median) = spots.get(spots.len() / 2) {
            plans.push(Plan {
                name: format!("{provider}-{gpu}-spot-{region}"),
                commitment: Commitment::Spot,
                usd_per_gpu_hour: (median * 1e4).round() / 1e4,
                interruption_overhead: 0.10,
                burst_plan: Some(base.name.clone()),
                source: format!("SkyPilot-format catalog {file}: spot, median over {} zones of {gpu} in {region}; 10% interruption overhead assumed", spots.len()),
                ..base.clone()
            });
        }
        plans.push(base);
    }
    Ok(Import {
        catalog: Catalog {
            plans,
            egress: Vec::new(),
            apis: Vec::new(),
        },
        skipped_rows: skipped,
    })
}

/// A region's jurisdiction from its name: European regions are `eu`, US regions `us`, anything else `other`.
pub fn geo_of(region: &str) -> String {
    let r = region.to_ascii_lowercase();
    let eu_words = [
        "europe",
        "france",
        "germany",
        "sweden",
        "norway",
        "switzerland",
        "poland",
        "italy",
        "spain",
        "uk",
    ];
    if r.starts_with("eu-") || r.starts_with("europe") || eu_words.iter().any(|w| r.contains(w)) {
        "eu".into()
    } else if r.starts_with("us") || r.trim_end_matches(char::is_numeric).ends_with("us") {
        "us".into()
    } else {
        "other".into()
    }
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
    fn regions_map_to_jurisdictions() {
        assert_eq!(geo_of("eu-north-1"), "eu");
        assert_eq!(geo_of("westeurope"), "eu");
        assert_eq!(geo_of("eastus2"), "us");
        assert_eq!(geo_of("us-central1"), "us");
        assert_eq!(geo_of("me-west-1"), "other");
    }
}
