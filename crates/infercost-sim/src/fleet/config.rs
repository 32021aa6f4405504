//! What a fleet simulation is asked to do: the routing policy, the autoscaler, the simulation settings and the
//! checks they must pass before anything runs.

use crate::metrics::Slo;
use crate::replica::EngineConfig;
use crate::SimError;
use infercost_core::SimTime;
use serde::Serialize;

/// How arrivals are spread over replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Router {
    /// In turn.
    #[serde(rename = "rr")]
    RoundRobin,
    /// To the replica with the fewest outstanding tokens.
    Least,
    /// The better of two replicas chosen at random (by outstanding tokens).
    #[serde(rename = "p2c")]
    PowerOfTwo,
}

impl Router {
    /// Parses `rr`, `least` or `p2c`.
    pub fn parse(s: &str) -> Option<Router> {
        match s {
            "rr" | "round-robin" => Some(Router::RoundRobin),
            "least" => Some(Router::Least),
            "p2c" => Some(Router::PowerOfTwo),
            _ => None,
        }
    }
}

/// Target-utilisation autoscaling: every `interval` the replica count moves toward occupancy / target, where
/// occupancy is the time-averaged running sequences over the serving replicas' `max_num_seqs` slots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Autoscaler {
    /// Busy fraction to aim for.
    pub target_utilization: f64,
    /// Time from ordering a replica to its serving.
    pub provisioning_delay: SimTime,
    /// A replica is kept at least this long.
    pub min_lifetime: SimTime,
    /// Fewest replicas.
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// Decision period.
    pub interval: SimTime,
}

/// Spot reclaims: each serving replica is taken away at this rate (a Poisson process, seeded); its waiting and
/// running requests restart on other replicas, keeping their arrival times, and a replacement serves after
/// `replacement_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reclaims {
    /// Reclaims per replica-hour.
    pub per_replica_hour: f64,
    /// Time from a reclaim to its replacement's serving.
    pub replacement_delay: SimTime,
}

/// Everything a simulation needs besides the deployment and the workload.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Engine settings of every replica.
    pub engine: EngineConfig,
    /// Replicas (the starting count when autoscaled).
    pub replicas: u32,
    /// Routing policy.
    pub router: Router,
    /// Latency target, for attainment and goodput.
    pub slo: Option<Slo>,
    /// Stop at this time; otherwise drain every request.
    pub horizon: Option<SimTime>,
    /// Step every iteration instead of jumping over decode-only stretches.
    pub step_exact: bool,
    /// Seed of all randomness.
    pub seed: u64,
    /// Timeline bucket width.
    pub bucket: SimTime,
    /// Replicas per independent group (0: one group).
    pub group_size: u32,
    /// Simulate only this many groups and extrapolate.
    pub sample_groups: Option<u32>,
    /// Worker threads for groups (results do not depend on it).
    pub threads: usize,
    /// Keep a record per request.
    pub record_requests: bool,
    /// Optional autoscaler (applies within each group).
    pub autoscaler: Option<Autoscaler>,
    /// One replica's capacity (`capacity::replica_capacity`), requests/s: with it the result reports
    /// `gpu_busy_fraction`, the offered load over the fleet's capacity.
    pub replica_capacity_rps: Option<f64>,
    /// Closed loop: this many clients, each sending the workload's next request (its lengths; its arrival time
    /// ignored) when its previous one completes, as `vllm bench serve --max-concurrency` does. `None`: requests
    /// arrive at their times (open loop).
    pub clients: Option<u32>,
    /// Optional spot reclaims.
    pub reclaims: Option<Reclaims>,
    /// Keep what each hour's arrivals met (`SimResult::hours`), for a simulated day.
    pub hourly: bool,
    /// Stop as soon as the run can no longer meet the SLO: more requests late (TTFT or TPOT over its target) or
    /// turned away than its percentile allows. The result then says only that the SLO is missed (its other
    /// figures cover the run until it stopped), the verdict a full run would reach. It applies to a run of one
    /// group, to its end (no horizon), and is for searches that discard the runs that miss.
    pub stop_at_miss: bool,
}

impl SimConfig {
    /// Defaults like vLLM's: 256 sequences, 8,192 batched tokens, 16-token blocks; `kv_blocks` from the
    /// deployment's capacity.
    pub fn new(kv_blocks: u64, replicas: u32) -> SimConfig {
        SimConfig {
            engine: EngineConfig::new(kv_blocks),
            replicas,
            router: Router::PowerOfTwo,
            slo: None,
            horizon: None,
            step_exact: false,
            seed: 0,
            bucket: SimTime::from_secs(60),
            group_size: 0,
            sample_groups: None,
            threads: 1,
            record_requests: false,
            autoscaler: None,
            replica_capacity_rps: None,
            clients: None,
            reclaims: None,
            hourly: false,
            stop_at_miss: false,
        }
    }
}

/// Checks the settings; a simulation that fails here never starts.
pub(super) fn validate(cfg: &SimConfig) -> Result<(), SimError> {
    let e = &cfg.engine;
    let bad = |m: String| Err(SimError::Invalid(m));
    if cfg.replicas == 0 {
        return bad("replicas must be at least 1".into());
    }
    if e.max_num_seqs == 0 || e.max_batched_tokens < e.max_num_seqs {
        return bad(format!(
            "max-batched-tokens ({}) must be at least max-num-seqs ({}), which must be positive",
            e.max_batched_tokens, e.max_num_seqs
        ));
    }
    if e.block_size == 0 || e.kv_blocks == 0 {
        return bad("the KV cache has no blocks: the model leaves no memory for it".into());
    }
    if let Some(s) = cfg.slo {
        if !(s.ttft_ms > 0.0 && s.tpot_ms > 0.0 && s.percentile > 0.0 && s.percentile <= 100.0) {
            return bad(format!("SLO targets must be positive and the percentile in (0, 100]; got ttft {} ms, tpot {} ms, p{}", s.ttft_ms, s.tpot_ms, s.percentile));
        }
    }
    if cfg.bucket.0 == 0 {
        return bad("the timeline bucket must be positive".into());
    }
    if let Some(a) = cfg.autoscaler {
        if !(a.target_utilization > 0.0 && a.target_utilization <= 1.0)
            || a.min_replicas == 0
            || a.max_replicas < a.min_replicas
            || a.interval.0 == 0
        {
            return bad("autoscaler: target utilisation in (0, 1], 1 ≤ min ≤ max replicas and a positive interval".into());
        }
    }
    if let Some(r) = cfg.reclaims {
        if !(r.per_replica_hour.is_finite() && r.per_replica_hour >= 0.0) {
            return bad(format!(
                "spot reclaims per replica-hour must be a non-negative number, got {}",
                r.per_replica_hour
            ));
        }
    }
    if let Some(n) = cfg.clients {
        if n == 0 {
            return bad("concurrency must be at least 1 client".into());
        }
        if cfg.autoscaler.is_some()
            || cfg.group_size != 0
            || cfg.sample_groups.is_some()
            || cfg.reclaims.is_some()
        {
            return bad("closed-loop clients share one fleet of fixed size: no autoscaler, reclaims, groups or group sampling".into());
        }
    }
    Ok(())
}
