//! The one parallel map of the workspace: runs a function over items on a given number of worker threads and
//! returns the results in the items' order, so that what a caller computes never depends on the thread count.

use rayon::prelude::*;

/// Runs `f(index, item)` on every item with `threads` workers (at least one) and returns the results in the
/// items' order. One thread, or a single item, runs on the caller's thread.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let serial = || items.iter().enumerate().map(|(i, x)| f(i, x)).collect();
    if threads.max(1).min(items.len()) <= 1 {
        return serial();
    }
    // A pool of its own per call, so `threads` is honoured and nested maps do not share workers.
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.min(items.len()))
        .build()
    {
        Ok(pool) => pool.install(|| items.par_iter().enumerate().map(|(i, x)| f(i, x)).collect()),
        // No threads to be had: the same results, one at a time.
        Err(_) => serial(),
    }
}

#[cfg(test)]
mod tests {
    use super::par_map;

    #[test]
    fn results_keep_input_order_for_any_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let f =
            |i: usize, x: &u64| ((i as u64) * 1_000_003) ^ x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let one = par_map(&items, 1, f);
        assert_eq!(one, par_map(&items, 4, f));
        assert_eq!(one, par_map(&items, 64, f));
        assert_eq!(one[7], f(7, &7));
        assert!(par_map(&[] as &[u64], 4, f).is_empty());
    }
}
