//! Which iterations replay a captured CUDA graph, and at what batch.
//!
//! An engine captures graphs for a list of batch sizes. A decode batch of a captured size replays its graph; with
//! padding on, a smaller batch is run as the next captured size (dummy sequences fill the rest, so the GEMMs, the
//! expert traffic and the small operators run on the padded batch), and only a batch above the largest runs
//! eagerly. Without padding only the captured sizes replay. Iterations that carry prompt tokens replay graphs only
//! where the engine captures them (vLLM's piecewise graphs); TensorRT-LLM and SGLang run them eagerly. Under
//! data-parallel attention every rank must replay the same graph: the ranks pad to the busiest one's batch, and
//! without padding they replay only when their batches are equal.

/// An engine's CUDA-graph capture, parsed from its profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CudaGraphs {
    /// Captured batch sizes, ascending (empty: no graphs).
    sizes: Vec<u32>,
    /// Whether a batch between captured sizes is padded up to the next.
    padding: bool,
    /// Whether iterations with prompt tokens replay graphs too.
    prompts: bool,
    /// The smallest captured size at or above each batch from 0 to the largest captured one, where that list is
    /// short enough to keep ([`NEXT_TABLE_MAX`]): one load per iteration instead of a binary search whose
    /// branches a simulation's varying batches mispredict.
    next: Vec<u32>,
}

/// The largest captured size for which [`CudaGraphs`] keeps a table of next sizes (256 KiB of `u32`).
const NEXT_TABLE_MAX: u32 = 1 << 16;

impl CudaGraphs {
    /// No graphs: every iteration runs eagerly.
    pub fn none() -> CudaGraphs {
        CudaGraphs::default()
    }

    /// Graphs for `spec` (see [`parse_sizes`]), with or without padding and prompt iterations.
    pub fn new(spec: &str, padding: bool, prompts: bool) -> Result<CudaGraphs, String> {
        let sizes = parse_sizes(spec)?;
        let largest = sizes.last().copied().unwrap_or(0);
        let next = if !sizes.is_empty() && largest <= NEXT_TABLE_MAX {
            let mut at = 0;
            (0..=largest)
                .map(|b| {
                    while sizes[at] < b {
                        at += 1;
                    }
                    sizes[at]
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(CudaGraphs {
            sizes,
            padding,
            prompts,
            next,
        })
    }

    /// The largest captured batch (0 without graphs).
    pub fn largest(&self) -> u32 {
        self.sizes.last().copied().unwrap_or(0)
    }

    /// The batch one rank's graph runs for `rank_tokens` tokens (`ranks` data-parallel ranks sharing the batch
    /// evenly, so a fractional share means unequal ranks), or `None` when the iteration runs eagerly.
    #[inline]
    pub fn replay(&self, rank_tokens: f64, ranks: f64, prompts: bool) -> Option<f64> {
        if self.sizes.is_empty() || (prompts && !self.prompts) {
            return None;
        }
        let busiest = rank_tokens.ceil();
        let size = match self.next.get(busiest as usize) {
            Some(&s) => s as f64,
            None if !self.next.is_empty() => return None,
            None => {
                let at = self.sizes.partition_point(|&s| (s as f64) < busiest);
                *self.sizes.get(at)? as f64
            }
        };
        if self.padding {
            return Some(size);
        }
        let equal = ranks <= 1.0 || rank_tokens.fract() == 0.0;
        (size == busiest && equal).then_some(rank_tokens)
    }
}

/// Parses a list of captured batch sizes: comma-separated sizes and ranges `A-B/S` (A to B in steps of S; `A-B`
/// steps by 1), e.g. `1,2,4,8-256/8,272-512/16`. An empty spec captures nothing.
pub fn parse_sizes(spec: &str) -> Result<Vec<u32>, String> {
    let mut sizes = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("graph batch sizes: {part:?} is not a size or a range A-B/S");
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.trim().parse::<u32>().map_err(|_| bad())?),
            None => (part, 1),
        };
        let (from, to) = match range.split_once('-') {
            Some((a, b)) => (
                a.trim().parse::<u32>().map_err(|_| bad())?,
                b.trim().parse::<u32>().map_err(|_| bad())?,
            ),
            None => {
                let n = range.trim().parse::<u32>().map_err(|_| bad())?;
                (n, n)
            }
        };
        if from == 0 || step == 0 || to < from {
            return Err(bad());
        }
        sizes.extend((from..=to).step_by(step as usize));
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_engines_list_them() {
        // vLLM's default capture list: 1, 2, 4, then steps of 8 to 256 and of 16 to 512.
        let v = parse_sizes("1,2,4,8-248/8,256-512/16").unwrap();
        assert_eq!(&v[..5], &[1, 2, 4, 8, 16]);
        assert_eq!(v.len(), 3 + 31 + 17);
        assert_eq!(*v.last().unwrap(), 512);
        assert_eq!(parse_sizes("").unwrap(), Vec::<u32>::new());
        assert_eq!(parse_sizes("1-3, 2").unwrap(), vec![1, 2, 3]);
        for bad in ["0", "8-4", "1-8/0", "x", "4-"] {
            assert!(parse_sizes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn padding_runs_the_next_captured_batch() {
        let g = CudaGraphs::new("1,2,4,8,16,32,64,128,256,384,512,1024", true, false).unwrap();
        assert_eq!(g.replay(300.0, 1.0, false), Some(384.0));
        assert_eq!(g.replay(384.0, 1.0, false), Some(384.0));
        assert_eq!(g.replay(1025.0, 1.0, false), None);
        // Ranks pad to the busiest one's batch.
        assert_eq!(g.replay(127.5, 8.0, false), Some(128.0));
        // Prompt iterations run eagerly unless the engine captures them.
        assert_eq!(g.replay(100.0, 1.0, true), None);
        let piecewise = CudaGraphs::new("1-512", true, true).unwrap();
        assert_eq!(piecewise.replay(100.0, 1.0, true), Some(100.0));
        assert_eq!(CudaGraphs::none().replay(1.0, 1.0, false), None);
    }

    #[test]
    fn the_next_size_table_agrees_with_a_search_of_the_list() {
        // A list short enough for the table, and one past it (searched); each batch up to past the largest.
        for spec in ["1,2,4,8-248/8,256-512/16", "3,7,100-70000/4096"] {
            let g = CudaGraphs::new(spec, true, false).unwrap();
            let sizes = parse_sizes(spec).unwrap();
            assert_eq!(g.next.is_empty(), g.largest() > NEXT_TABLE_MAX, "{spec}");
            assert!(
                spec.starts_with('1') || g.largest() > NEXT_TABLE_MAX,
                "{spec} must test the search"
            );
            for b in
                (1..=g.largest() + 2)
                    .step_by(97)
                    .chain([1, 2, 3, g.largest(), g.largest() + 1])
            {
                let want = sizes.iter().find(|&&s| s >= b).map(|&s| s as f64);
                assert_eq!(g.replay(b as f64 - 0.5, 1.0, false), want, "{spec} at {b}");
            }
        }
        assert_eq!(
            CudaGraphs::new("", true, true)
                .unwrap()
                .replay(1.0, 1.0, true),
            None
        );
    }

    #[test]
    fn without_padding_only_captured_equal_batches_replay() {
        let g = CudaGraphs::new("1-31,32,64,128", false, false).unwrap();
        assert_eq!(g.replay(20.0, 1.0, false), Some(20.0));
        assert_eq!(g.replay(40.0, 1.0, false), None);
        assert_eq!(g.replay(64.0, 4.0, false), Some(64.0));
        assert_eq!(g.replay(63.75, 4.0, false), None);
        assert_eq!(g.largest(), 128);
    }
}
