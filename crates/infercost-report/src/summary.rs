//! The terminal summary: the headline tables and the analysis in sentences that fit a screen; every figure is
//! also in the JSON.

use crate::headline::{headline, headline_table};
use crate::prose::{compounding, times, variable, wrap, ATTRIBUTION_NOTE};
use infercost_core::fmt::{count, int, ms, usd};
use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, Point};

/// The terminal summary: tables and sentences that fit a screen; every figure is in the JSON.
pub fn summary(r: &PlanResult) -> Vec<String> {
    let mut out = pilot(r);
    if let Some(sh) = r.shard {
        out.push(format!(
            "shard {}/{} — {} points; combine the shards with `infercost merge`",
            sh[0],
            sh[1],
            count(r.points.len() as u64)
        ));
        return out;
    }
    for di in 0..r.scenario.deployments.len() {
        out.push(String::new());
        out.extend(deployment(r, di));
    }
    // Each section is left out when the analysis has nothing to say in it, with the blank line before it.
    for section in [
        mixes(r),
        uncertainty(r),
        attribution(r),
        inflections(r),
        breakevens(r),
        decisions(r),
        months(r),
        placement(r),
    ] {
        if !section.is_empty() {
            out.push(String::new());
            out.extend(section);
        }
    }
    out
}

/// The pilot and the SLO, in two lines.
fn pilot(r: &PlanResult) -> Vec<String> {
    let s = &r.scenario;
    let trough = r.pilot.diurnal.iter().copied().fold(f64::MAX, f64::min);
    vec![
        format!(
            "infercost {} — pilot {}: {} requests over {} s ({:.2}/s), mean {} prompt / {} output tokens, busiest minute {:.2}× the mean",
            r.infercost_version,
            r.pilot.trace,
            count(r.pilot.requests),
            int(r.pilot.duration_s),
            r.pilot.mean_rate_rps,
            int(r.pilot.input_tokens_mean),
            int(r.pilot.output_tokens_mean),
            r.pilot.peak_to_mean_60s
        ),
        format!(
            "SLO p{} TTFT ≤ {}, TPOT ≤ {}; the pilot is the busiest hour of a day whose quietest hour carries {:.0}% of it",
            s.slo.percentile,
            ms(s.slo.ttft_ms),
            ms(s.slo.tpot_ms),
            trough * 100.0
        ),
    ]
}

/// A deployment's headline table, then its costs at the largest context and burst when the sweep has them.
fn deployment(r: &PlanResult, di: usize) -> Vec<String> {
    let s = &r.scenario;
    let d = &s.deployments[di];
    let mut out = vec![format!(
        "{} ({}{}), context 1×, burst 1×",
        d.name,
        d.model,
        if d.fine_tuned {
            ", fine-tuned: no API fallback"
        } else {
            ""
        }
    )];
    out.extend(headline_table(r, di).text_lines());
    let (cm, bm) = (
        s.context.iter().copied().fold(1.0, f64::max),
        s.burst.iter().copied().fold(1.0, f64::max),
    );
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    for v in vols {
        if let Some(p) = infercost_plan::analysis::best(&r.points, &d.name, v, 1.0, 1.0) {
            for (i, line) in crate::procure::sentences(p).into_iter().enumerate() {
                let at = if i == 0 {
                    format!("{}:", times(v))
                } else {
                    String::new()
                };
                out.push(format!("  {at:<8}{line}"));
            }
        }
    }
    if cm > 1.0 || bm > 1.0 {
        let cells: Vec<String> = headline(r, &d.name, cm, bm)
            .iter()
            .map(|row| {
                format!(
                    "{} {}",
                    times(row.volume),
                    row.point
                        .as_ref()
                        .and_then(|p| p.cheapest_usd_per_month)
                        .map_or("-".into(), usd)
                )
            })
            .collect();
        out.push(format!(
            "  at context {}, burst {}: {}",
            times(cm),
            times(bm),
            cells.join(", ")
        ));
    }
    out
}

/// Each deployment's mixed-GPU fleet at every volume (context 1×, burst 1×) beside the best single type: what it
/// saves, or that no mix beats that type.
fn mixes(r: &PlanResult) -> Vec<String> {
    if !r.scenario.mix {
        return Vec::new();
    }
    let mut out = vec![
        "Mixed GPU fleets (requests routed by length: short ones to cheap GPUs, long ones to large; every pool verified by simulation):".into(),
    ];
    let singles: Vec<Point> = r.points.iter().filter(|p| !p.is_mix()).cloned().collect();
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    for d in &r.scenario.deployments {
        for &v in &vols {
            let at = |p: &&Point| {
                p.deployment == d.name && p.volume == v && p.context == 1.0 && p.burst == 1.0
            };
            let Some(m) = r.points.iter().filter(|p| p.is_mix()).find(at) else {
                continue;
            };
            let single = best(&singles, &d.name, v, 1.0, 1.0);
            let head = format!("  {} at {}:", d.name, times(v));
            let pools = m
                .mix
                .iter()
                .map(|x| {
                    format!(
                        "{}×{} {} ({:.0}% of requests)",
                        count(x.replicas.into()),
                        x.tp * x.pp,
                        x.gpu,
                        x.requests_share * 100.0
                    )
                })
                .collect::<Vec<_>>()
                .join(" + ");
            let line = match (
                m.cheapest_usd_per_month,
                single.and_then(|s| s.cheapest_usd_per_month.map(|c| (s, c))),
            ) {
                (Some(mc), Some((s, sc))) if m.mix.len() > 1 => format!(
                    "{head} {pools}, {} a month, saves {} ({:.0}%) over {} alone ({})",
                    usd(mc),
                    usd(sc - mc),
                    (sc - mc) / sc * 100.0,
                    s.gpu,
                    usd(sc)
                ),
                (_, Some((s, sc))) => format!("{head} no mix beats {} alone ({})", s.gpu, usd(sc)),
                (Some(mc), None) => format!(
                    "{head} {pools}, {} a month; no single GPU type serves it",
                    usd(mc)
                ),
                (None, None) => format!(
                    "{head} no fleet: {}",
                    m.reason
                        .clone()
                        .unwrap_or_else(|| "no reason recorded".into())
                ),
            };
            out.push(line);
        }
    }
    out
}

/// The Shapley parts of each target's growth, under the note that says what they are.
fn attribution(r: &PlanResult) -> Vec<String> {
    if r.attribution.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        "What drives the growth (Shapley shares of the monthly cost growth from the pilot):".into(),
    ];
    out.extend(
        wrap(ATTRIBUTION_NOTE, 110)
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    for a in &r.attribution {
        out.push(format!(
            "  {} → {} volume, {} context, {} burst: +{} = volume {} + context {} + burst {}; driver: {} ({})",
            a.deployment,
            times(a.volume),
            times(a.context),
            times(a.burst),
            usd(a.total_growth_usd),
            usd(a.volume_usd),
            usd(a.context_usd),
            usd(a.concurrency_usd),
            variable(a.driver.name()),
            compounding(a)
        ));
    }
    out
}

/// The first dozen inflections; the rest are counted.
fn inflections(r: &PlanResult) -> Vec<String> {
    if r.inflections.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["Where the curve bends:".to_string()];
    for i in r.inflections.iter().take(12) {
        out.push(format!("  - {}", i.description));
    }
    if r.inflections.len() > 12 {
        out.push(format!(
            "  … and {} more in the JSON and the report",
            r.inflections.len() - 12
        ));
    }
    out
}

/// With `--uncertainty`, each deployment's band at each volume on one line.
fn uncertainty(r: &PlanResult) -> Vec<String> {
    let Some(draws) = r
        .points
        .iter()
        .find_map(|p| p.uncertainty.as_ref())
        .map(|u| u.draws)
    else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "Cost with error bars (p10–p90 over {draws} draws of model error, prices, growth and the busiest hour; SLO met = share of draws the planned fleet carries):"
    )];
    for d in &r.scenario.deployments {
        let cells: Vec<String> = headline(r, &d.name, 1.0, 1.0)
            .iter()
            .filter_map(|row| {
                let b = row.point.as_ref()?.uncertainty.as_ref()?;
                Some(format!(
                    "{} {} ({}–{}, SLO met {:.0}%)",
                    times(row.volume),
                    usd(b.p50_usd),
                    usd(b.p10_usd),
                    usd(b.p90_usd),
                    b.p_slo_met * 100.0
                ))
            })
            .collect();
        if !cells.is_empty() {
            out.push(format!("  {}: {}", d.name, cells.join("; ")));
        }
    }
    out
}

/// The break-evens, with at most three of the commitment ones.
fn breakevens(r: &PlanResult) -> Vec<String> {
    if r.breakevens.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["Break-evens:".to_string()];
    let mut seen_commit = 0;
    for b in &r.breakevens {
        if b.kind == infercost_plan::result::BreakevenKind::CommittedVsOnDemand {
            seen_commit += 1;
            if seen_commit > 3 {
                continue;
            }
        }
        out.push(format!("  - {}", b.description));
    }
    out
}

/// Each deployment's decision timeline on one line: "at 14× volume move from l40s to h100-sxm; …".
fn decisions(r: &PlanResult) -> Vec<String> {
    if r.decisions.is_empty() {
        return Vec::new();
    }
    let mut out =
        vec!["Decisions (where the best choice changes, located by simulation):".to_string()];
    for d in &r.scenario.deployments {
        let steps: Vec<String> = r
            .decisions
            .iter()
            .filter(|x| x.deployment == d.name)
            .map(|x| {
                x.description
                    .strip_prefix(&format!("{}: ", d.name))
                    .unwrap_or(&x.description)
                    .to_string()
            })
            .collect();
        if !steps.is_empty() {
            out.push(format!("  {}: {}", d.name, steps.join("; ")));
        }
    }
    out
}

/// Each deployment's months ahead on one line.
fn months(r: &PlanResult) -> Vec<String> {
    if r.months.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["Months ahead (each month's volume and context sized by simulation; cheapest lawful serving):".to_string()];
    for d in &r.scenario.deployments {
        let cells: Vec<String> = r
            .months
            .iter()
            .filter(|m| m.deployment == d.name)
            .map(|m| match m.usd_per_month {
                Some(cost) => format!(
                    "m{} {} users, {} GPU{}, {} (order by day {})",
                    m.month,
                    int(m.users),
                    int(m.gpus_peak),
                    if m.gpus_peak == 1.0 { "" } else { "s" },
                    usd(cost),
                    int(m.order_by_day)
                ),
                None => format!(
                    "m{} {} users: no feasible fleet at {:.2}× context",
                    m.month,
                    int(m.users),
                    m.context
                ),
            })
            .collect();
        out.push(format!("  {}: {}", d.name, cells.join("; ")));
    }
    out
}

/// The chosen placement of each deployment and volume, with its routes.
fn placement(r: &PlanResult) -> Vec<String> {
    if r.placement.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["Placement (residency rules and added latency obeyed):".to_string()];
    for p in &r.placement {
        let chosen = p
            .chosen
            .as_ref()
            .and_then(|c| p.options.iter().find(|o| &o.name == c));
        let text = match chosen {
            Some(o) => format!(
                "{} at {} — {}",
                o.name,
                usd(o.usd_per_month),
                o.routes
                    .iter()
                    .map(|r| format!("{} users → {} ({})", r.users, r.served_in, r.plan))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "no placement obeys the rules".into(),
        };
        out.push(format!("  {} {}: {}", p.deployment, times(p.volume), text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use crate::headline::GPU_BUSY_NOTE;

    /// Every `$` amount in a text, as written.
    fn amounts(text: &str) -> Vec<String> {
        text.split('$')
            .skip(1)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'M' | 'B'))
                    .collect::<String>()
                    .trim_end_matches(['.', ','])
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_summary_writes_money_one_way() {
        let text = summary(&small()).join("\n");
        for want in [
            "$2,008",
            "$6,023",
            "$44.2k",
            "$441.6k",
            "$3.74M",
            "19,366 requests",
        ] {
            assert!(text.contains(want), "{want} missing from\n{text}");
        }
        for a in amounts(&text) {
            // `$6.0k` and `$6022` are the two ways the same figure was once written: below $10k it has no
            // suffix and has a thousands separator.
            if let Some(k) = a.strip_suffix('k') {
                let v: f64 = k.parse().unwrap();
                assert!((10.0..1000.0).contains(&v), "${a} in\n{text}");
            } else if let Some(m) = a.strip_suffix('M') {
                let v: f64 = m.parse().unwrap();
                assert!((1.0..1000.0).contains(&v), "${a} in\n{text}");
            } else if !a.ends_with('B') {
                let whole = a.split('.').next().unwrap();
                let digits = whole.replace(',', "").len();
                assert!(digits <= 4, "${a} in\n{text}");
                assert!(digits < 4 || whole.contains(','), "${a} in\n{text}");
            }
        }
        // No whole part of five digits or more without separators, anywhere (a count, a dollar figure or a
        // duration); decimals, as in a price per request, are not grouped.
        let (mut run, mut decimals, mut prev) = (0, false, ' ');
        for c in text.chars() {
            if c.is_ascii_digit() {
                decimals |= run == 0 && prev == '.';
                run += 1;
            } else {
                (run, decimals) = (0, false);
            }
            assert!(decimals || run < 5, "unseparated number in\n{text}");
            prev = c;
        }
    }

    #[test]
    fn the_summary_explains_the_interaction_where_it_prints_it() {
        let text = summary(&small()).join("\n");
        let line = text
            .lines()
            .find(|l| l.contains("→ 1,000× volume"))
            .unwrap();
        assert!(line.contains("+ burst $"), "{line}");
        assert!(!line.contains("interaction"), "{line}");
        assert!(
            line.contains("the three compound: 88% of the growth needs more than one of them"),
            "{line}"
        );
        assert!(
            text.replace("\n  ", " ").contains("burst (concurrency)"),
            "{text}"
        );
        assert!(text.contains(GPU_BUSY_NOTE), "{text}");
    }
}
