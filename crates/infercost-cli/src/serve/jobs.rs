//! Plans for `infercost serve`: one at a time per process (later uploads wait their turn), each in its own
//! temporary folder removed when it ends, with the progress the page polls and the last results' reports kept in
//! memory for download.

use super::multipart::Part;
use crate::cmd_plan::{plan_upload, threads_or_cores, upload_scenario};
use crate::export::next_month;
use crate::output;
use infercost_report::FocusOptions;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

/// How many finished plans' reports are kept for download.
const KEEP: usize = 8;

/// One finished plan's files.
pub(crate) struct Reports {
    pub(crate) json: String,
    pub(crate) markdown: String,
    pub(crate) html: String,
    /// The forecast bills as FOCUS rows, when the plan has any bill to write.
    pub(crate) focus: Option<String>,
}

#[derive(Default)]
struct State {
    queued: usize,
    running: bool,
    done: usize,
    total: usize,
    next_id: u64,
    results: VecDeque<(u64, std::sync::Arc<Reports>)>,
}

/// The server's plans: the one running, those waiting, the last results.
#[derive(Default)]
pub(crate) struct Jobs {
    turn: Mutex<()>,
    state: Mutex<State>,
}

/// A temporary folder removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(id: u64) -> std::io::Result<TempDir> {
        let p = std::env::temp_dir().join(format!(
            "infercost-serve-{}-{id}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The uploaded file's name reduced to a safe one that keeps its extensions (`.csv`, `.jsonl.gz`, `.parquet`),
/// which the trace reader's `auto` format reads.
fn safe_name(name: Option<&str>) -> String {
    let base = name
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.');
    if clean.is_empty() {
        "pilot.csv".into()
    } else {
        clean.chars().take(100).collect()
    }
}

/// The upload's trace part and scenario text with its file name, once the scenario reads and checks as
/// `plan_upload` reads it; otherwise the CLI's words for what is wrong.
type Checked<'a> = (&'a Part, Option<(String, String)>);

fn checked(parts: &[Part]) -> Result<Checked<'_>, String> {
    let trace = parts
        .iter()
        .find(|p| p.name == "trace")
        .ok_or("error: the form has no `trace` file (the pilot's request log)")?;
    let scenario = match parts.iter().find(|p| p.name == "scenario") {
        Some(p) if !p.data.iter().all(u8::is_ascii_whitespace) => Some((
            String::from_utf8(p.data.clone())
                .map_err(|_| "error: the scenario is not UTF-8 text".to_string())?,
            p.filename.clone().unwrap_or_else(|| "scenario.toml".into()),
        )),
        _ => None,
    };
    // Said as the CLI says it, run from the folder holding the log.
    let name = safe_name(trace.filename.as_deref());
    upload_scenario(
        scenario.as_ref().map(|(t, n)| (t.as_str(), n.as_str())),
        std::path::Path::new(&name),
    )
    .map_err(|e| output::error_lines(&e).join("\n"))?;
    Ok((trace, scenario))
}

impl Jobs {
    /// `{"running":…,"stage":…,"done":…,"total":…,"queued":…}`, for the page's progress bar. The planner's
    /// progress counts sweep points only; once all are planned it still sizes break-evens and months ahead, so
    /// a running plan whose points are all done is in its `analysis` stage, not finished.
    pub(crate) fn progress(&self) -> String {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let stage = match (s.running, s.total > 0 && s.done >= s.total) {
            (false, _) => "idle",
            (true, false) => "sweep",
            (true, true) => "analysis",
        };
        format!(
            "{{\"running\":{},\"stage\":\"{stage}\",\"done\":{},\"total\":{},\"queued\":{}}}",
            s.running, s.done, s.total, s.queued
        )
    }

    /// A finished plan's reports.
    pub(crate) fn result(&self, id: u64) -> Option<std::sync::Arc<Reports>> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.results
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, r)| r.clone())
    }

    /// Plans an upload (a `trace` file and an optional `scenario` TOML) when its turn comes. Returns the result's
    /// id and reports, or the lines the CLI would print for the same file and scenario. A form without a trace
    /// or with a scenario that does not read is refused at once, without waiting behind the running plan.
    pub(crate) fn plan(&self, parts: &[Part]) -> Result<(u64, std::sync::Arc<Reports>), String> {
        let (trace, scenario) = checked(parts)?;
        self.lock_state().queued += 1;
        // One plan at a time: it uses every core. Later uploads wait here.
        let turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        let id = {
            let mut s = self.lock_state();
            s.queued -= 1;
            s.running = true;
            s.done = 0;
            s.total = 0;
            s.next_id += 1;
            s.next_id
        };
        let outcome = self.run(
            id,
            trace,
            scenario.as_ref().map(|(t, n)| (t.as_str(), n.as_str())),
        );
        let mut s = self.lock_state();
        s.running = false;
        drop(turn);
        let reports = std::sync::Arc::new(outcome?);
        s.results.push_back((id, reports.clone()));
        while s.results.len() > KEEP {
            s.results.pop_front();
        }
        Ok((id, reports))
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(
        &self,
        id: u64,
        trace: &Part,
        scenario: Option<(&str, &str)>,
    ) -> Result<Reports, String> {
        let dir =
            TempDir::new(id).map_err(|e| format!("error: cannot make a temporary folder: {e}"))?;
        let name = safe_name(trace.filename.as_deref());
        let path = dir.0.join(&name);
        // The page's user knows the file by its name, not by where it was kept: say it as the CLI would, run
        // from the folder holding it.
        let shown = path.display().to_string();
        let words = |e: anyhow::Error| output::error_lines(&e).join("\n").replace(&shown, &name);
        std::fs::write(&path, &trace.data)
            .map_err(|e| format!("error: cannot keep the upload in {}: {e}", dir.0.display()))?;
        let progress = |done: usize, total: usize| {
            let mut s = self.lock_state();
            s.done = done;
            s.total = total;
        };
        let mut r =
            plan_upload(scenario, &path, threads_or_cores(None), &progress).map_err(words)?;
        r.pilot.trace = r.pilot.trace.replace(&shown, &name);
        let mut spec = r.scenario.clone().into_spec();
        spec.trace = spec.trace.replace(&shown, &name);
        r.scenario = spec.try_into().map_err(|e| format!("error: {e}"))?;
        let focus = infercost_report::focus_csv(
            &r,
            &FocusOptions {
                period: next_month(),
                all_plans: false,
            },
        );
        let mut json = serde_json::to_string_pretty(&r).map_err(|e| format!("error: {e}"))?;
        json.push('\n');
        Ok(Reports {
            json,
            markdown: infercost_report::markdown(&r),
            html: infercost_report::html(&r),
            focus: (focus.bills > 0).then_some(focus.csv),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_stay_inside_the_folder() {
        assert_eq!(safe_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            safe_name(Some("C:\\logs\\spend log.csv.gz")),
            "spend_log.csv.gz"
        );
        assert_eq!(safe_name(Some("..")), "pilot.csv");
        assert_eq!(safe_name(None), "pilot.csv");
    }
}
