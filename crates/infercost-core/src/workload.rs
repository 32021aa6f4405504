//! The workload: a time-ordered list of requests with their token counts and optional region, session and prefix ids.

use crate::units::SimTime;

/// Marks a request without a region.
pub const NO_REGION: u16 = u16::MAX;
/// Marks a request without a session.
pub const NO_SESSION: u32 = u32::MAX;
/// The most prompt or output tokens one request may carry. The longest context windows served today are a few
/// million tokens; a count past ten million is a unit or export error, and summing such counts is how totals
/// overflow downstream.
pub const MAX_TOKENS_PER_REQUEST: u32 = 10_000_000;

/// The names a trace format may be given (`--format`, a scenario's `pilot.format`), in the order help lists
/// them. The readers (`infercost-io`) parse exactly these; a scenario is checked against them before any file is
/// read, so a misspelt format is named with its file and key.
pub const TRACE_FORMATS: [&str; 11] = [
    "auto", "azure", "mooncake", "vidur", "lengths", "csv", "jsonl", "litellm", "otlp", "burstgpt",
    "parquet",
];

/// One inference request. Kept small (32 bytes) because a 1,000× day holds hundreds of millions of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// When the request arrives, from the workload's origin.
    pub arrival: SimTime,
    /// Prompt (context) tokens.
    pub input_tokens: u32,
    /// Generated tokens; at least 1 for a served request.
    pub output_tokens: u32,
    /// Index into [`Workload::regions`], or [`NO_REGION`].
    pub region: u16,
    /// Length of this request's run of prefix-block ids in [`Workload::hash_ids`].
    pub prefix_len: u16,
    /// Session (conversation) id, or [`NO_SESSION`].
    pub session: u32,
    /// Start of this request's prefix-block ids in [`Workload::hash_ids`].
    pub prefix_start: u32,
}

impl Request {
    /// A request with no region, session or prefix ids.
    pub fn new(arrival: SimTime, input_tokens: u32, output_tokens: u32) -> Request {
        Request {
            arrival,
            input_tokens,
            output_tokens,
            region: NO_REGION,
            prefix_len: 0,
            session: NO_SESSION,
            prefix_start: 0,
        }
    }
}

/// A set of requests sorted by arrival time, with the side tables their ids point into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workload {
    /// Requests in arrival order (ties keep input order).
    pub requests: Vec<Request>,
    /// Prefix-block ids (one per block of the prompt; equal ids mean a shared prefix), referenced by requests.
    pub hash_ids: Vec<u64>,
    /// Region names referenced by [`Request::region`].
    pub regions: Vec<String>,
    /// Wall-clock time of `SimTime::ZERO` in seconds since the Unix epoch, when the trace had absolute times.
    pub epoch_origin_s: Option<f64>,
    /// Whether the requests carry arrival times; length-only files do not.
    pub has_timestamps: bool,
}

impl Workload {
    /// An empty workload whose requests carry timestamps.
    pub fn new() -> Workload {
        Workload {
            has_timestamps: true,
            ..Workload::default()
        }
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether there are no requests.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The prefix-block ids of one request.
    pub fn prefix_of(&self, r: &Request) -> &[u64] {
        let s = r.prefix_start as usize;
        &self.hash_ids[s..s + r.prefix_len as usize]
    }

    /// Interns a region name and returns its id.
    pub fn region_id(&mut self, name: &str) -> u16 {
        if let Some(i) = self.regions.iter().position(|r| r == name) {
            return i as u16;
        }
        self.regions.push(name.to_string());
        (self.regions.len() - 1) as u16
    }

    /// Appends prefix ids and returns `(start, len)` for a request.
    pub fn push_prefix(&mut self, ids: &[u64]) -> (u32, u16) {
        let start = self.hash_ids.len() as u32;
        let len = ids.len().min(u16::MAX as usize);
        self.hash_ids.extend_from_slice(&ids[..len]);
        (start, len as u16)
    }

    /// Sorts requests by arrival (stable); returns whether they were out of order.
    pub fn sort_by_arrival(&mut self) -> bool {
        let sorted = self
            .requests
            .windows(2)
            .all(|w| w[0].arrival <= w[1].arrival);
        if !sorted {
            self.requests.sort_by_key(|r| r.arrival);
        }
        !sorted
    }

    /// Time from the first to the last arrival.
    pub fn span(&self) -> SimTime {
        match (self.requests.first(), self.requests.last()) {
            (Some(a), Some(b)) => b.arrival.since(a.arrival),
            _ => SimTime::ZERO,
        }
    }

    /// Total prompt tokens.
    pub fn input_tokens(&self) -> u64 {
        self.requests.iter().map(|r| r.input_tokens as u64).sum()
    }

    /// Total generated tokens.
    pub fn output_tokens(&self) -> u64 {
        self.requests.iter().map(|r| r.output_tokens as u64).sum()
    }

    /// Number of distinct sessions.
    pub fn session_count(&self) -> usize {
        let mut ids: Vec<u32> = self
            .requests
            .iter()
            .filter(|r| r.session != NO_SESSION)
            .map(|r| r.session)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_stays_small() {
        assert_eq!(std::mem::size_of::<Request>(), 32);
    }

    #[test]
    fn sorting_reports_disorder_and_is_stable() {
        let mut w = Workload::new();
        w.requests.push(Request::new(SimTime(5), 1, 1));
        w.requests.push(Request::new(SimTime(1), 2, 1));
        w.requests.push(Request::new(SimTime(1), 3, 1));
        assert!(w.sort_by_arrival());
        let ins: Vec<u32> = w.requests.iter().map(|r| r.input_tokens).collect();
        assert_eq!(ins, vec![2, 3, 1]);
        assert!(!w.sort_by_arrival());
    }
}
