//! The cheapest assignment of request-size buckets to GPU types, as an integer linear program (after Mélange,
//! Griggs et al. 2024): whole replicas per type, each bucket on one type, each type's replicas carrying the load
//! of its buckets at its measured capacity for them. Solved by good_lp's pure-Rust microlp solver.

use good_lp::{constraint, microlp, variable, Expression, ProblemVariables, Solution, SolverModel};

/// The program's data.
pub(crate) struct Program {
    /// Each bucket's load at the busiest hour, requests/s.
    pub(crate) load: Vec<f64>,
    /// One replica's capacity within the SLO for each bucket, requests/s, per GPU type (`[type][bucket]`); 0
    /// where the type cannot serve the bucket.
    pub(crate) capacity: Vec<Vec<f64>>,
    /// One replica's cost per hour, per GPU type ($/h: TP × the type's cheapest hourly price).
    pub(crate) replica_cost: Vec<f64>,
}

/// The program's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    /// The type each bucket is served on (`None` for a bucket without load).
    pub(crate) type_of_bucket: Vec<Option<usize>>,
    /// Replicas per type.
    pub(crate) replicas: Vec<u32>,
    /// Replicas × replica cost, summed ($/h).
    pub(crate) cost: f64,
}

impl Program {
    /// The replicas each type needs for an assignment: its buckets' load over its capacity for them, rounded
    /// up (with a hair of tolerance for the solver's arithmetic).
    pub(crate) fn replicas_for(&self, type_of_bucket: &[Option<usize>]) -> Vec<u32> {
        let mut need = vec![0.0f64; self.replica_cost.len()];
        for (b, t) in type_of_bucket.iter().enumerate() {
            if let Some(t) = *t {
                need[t] += self.load[b] / self.capacity[t][b];
            }
        }
        need.iter()
            .map(|n| (n - 1e-9).ceil().max(0.0) as u32)
            .collect()
    }

    /// The cost per hour of a number of replicas per type.
    pub(crate) fn cost_of(&self, replicas: &[u32]) -> f64 {
        replicas
            .iter()
            .zip(&self.replica_cost)
            .map(|(&n, c)| n as f64 * c)
            .sum()
    }
}

/// Solves the program; `None` when some loaded bucket has no type that can serve it, or the solver fails.
pub(crate) fn solve(p: &Program) -> Option<Assignment> {
    let types = p.replica_cost.len();
    let mut vars = ProblemVariables::new();
    let n: Vec<_> = (0..types)
        .map(|_| vars.add(variable().integer().min(0)))
        .collect();
    // y[b] = the (type, variable) pairs bucket b may go to.
    let mut y = Vec::with_capacity(p.load.len());
    for (b, &load) in p.load.iter().enumerate() {
        if load <= 0.0 {
            y.push(Vec::new());
            continue;
        }
        let options: Vec<_> = (0..types)
            .filter(|&t| p.capacity[t][b] > 0.0)
            .map(|t| (t, vars.add(variable().binary())))
            .collect();
        if options.is_empty() {
            return None;
        }
        y.push(options);
    }
    let objective: Expression = n.iter().zip(&p.replica_cost).map(|(&v, &c)| c * v).sum();
    let mut model = vars.minimise(objective).using(microlp);
    for options in y.iter().filter(|o| !o.is_empty()) {
        let one: Expression = options.iter().map(|&(_, v)| v).sum();
        model = model.with(constraint!(one == 1));
    }
    for (t, &nt) in n.iter().enumerate() {
        let work: Expression = y
            .iter()
            .enumerate()
            .flat_map(|(b, o)| o.iter().map(move |&(tt, v)| (b, tt, v)))
            .filter(|&(_, tt, _)| tt == t)
            .map(|(b, _, v)| (p.load[b] / p.capacity[t][b]) * v)
            .sum();
        model = model.with(constraint!(work <= nt));
    }
    let solution = model.solve().ok()?;
    let type_of_bucket: Vec<Option<usize>> = y
        .iter()
        .map(|o| {
            o.iter()
                .max_by(|a, b| solution.value(a.1).total_cmp(&solution.value(b.1)))
                .map(|&(t, _)| t)
        })
        .collect();
    let replicas = p.replicas_for(&type_of_bucket);
    Some(Assignment {
        cost: p.cost_of(&replicas),
        type_of_bucket,
        replicas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use infercost_core::Rng;

    /// The cheapest assignment by trying every one (types^buckets).
    fn brute_force(p: &Program) -> Option<f64> {
        let (types, buckets) = (p.replica_cost.len(), p.load.len());
        let mut best: Option<f64> = None;
        for code in 0..types.pow(buckets as u32) {
            let mut c = code;
            let mut a = Vec::with_capacity(buckets);
            let mut possible = true;
            for b in 0..buckets {
                let t = c % types;
                c /= types;
                possible &= p.capacity[t][b] > 0.0 || p.load[b] <= 0.0;
                a.push((p.load[b] > 0.0).then_some(t));
            }
            if !possible {
                continue;
            }
            // Replicas computed here without `replicas_for`: each type's load in replica-equivalents, rounded up.
            let mut cost = 0.0;
            for t in 0..types {
                let need: f64 = (0..buckets)
                    .filter(|&b| a[b] == Some(t))
                    .map(|b| p.load[b] / p.capacity[t][b])
                    .sum();
                cost += (need - 1e-9).ceil().max(0.0) * p.replica_cost[t];
            }
            best = Some(best.map_or(cost, |x: f64| x.min(cost)));
        }
        best
    }

    #[test]
    fn the_program_finds_the_brute_force_optimum_on_small_instances() {
        let mut rng = Rng::new(11);
        for case in 0..60 {
            let types = 1 + rng.below(3) as usize;
            let buckets = 1 + rng.below(5) as usize;
            let load: Vec<f64> = (0..buckets)
                .map(|_| {
                    if rng.below(6) == 0 {
                        0.0
                    } else {
                        0.1 + rng.f64() * 20.0
                    }
                })
                .collect();
            let capacity: Vec<Vec<f64>> = (0..types)
                .map(|_| {
                    (0..buckets)
                        .map(|_| {
                            if rng.below(4) == 0 {
                                0.0
                            } else {
                                0.5 + rng.f64() * 8.0
                            }
                        })
                        .collect()
                })
                .collect();
            let replica_cost = (0..types).map(|_| 0.5 + rng.f64() * 10.0).collect();
            let p = Program {
                load,
                capacity,
                replica_cost,
            };
            let want = brute_force(&p);
            let got = solve(&p);
            match (want, &got) {
                (None, None) => {}
                (Some(w), Some(g)) => {
                    assert!(
                        (g.cost - w).abs() < 1e-6 * w.max(1.0),
                        "case {case}: {} vs {w}",
                        g.cost
                    );
                    // The answer is a real assignment of every loaded bucket to a type that can serve it.
                    for (b, t) in g.type_of_bucket.iter().enumerate() {
                        assert_eq!(t.is_some(), p.load[b] > 0.0);
                        assert!(t.is_none_or(|t| p.capacity[t][b] > 0.0));
                    }
                }
                _ => panic!("case {case}: brute force {want:?}, program {got:?}"),
            }
        }
    }

    #[test]
    fn short_requests_go_to_the_cheap_type_and_long_ones_to_the_only_type_that_serves_them() {
        // Bucket 0: 9 req/s of short requests; bucket 1: 1 req/s of long ones. Type 0 (cheap, $1/h) serves short
        // ones at 3/s and cannot serve long ones; type 1 ($4/h) serves both at 2/s.
        let p = Program {
            load: vec![9.0, 1.0],
            capacity: vec![vec![3.0, 0.0], vec![2.0, 2.0]],
            replica_cost: vec![1.0, 4.0],
        };
        let a = solve(&p).unwrap();
        assert_eq!(a.type_of_bucket, vec![Some(0), Some(1)]);
        assert_eq!(a.replicas, vec![3, 1]);
        assert_eq!(a.cost, 7.0);
        // Type 1 alone needs 5 replicas ($20/h): the mix is cheaper.
        assert!(a.cost < 20.0);
    }
}
