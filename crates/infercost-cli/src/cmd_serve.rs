//! `infercost serve`: a local web page where a pilot's request log is dropped, the scenario's fields picked, the
//! plan watched as it runs, and the interactive report and its downloads opened. It plans through the same
//! function as `infercost plan` and answers a bad file or scenario with the message the command line prints.
//!
//! API: `POST /api/plan` (multipart: `trace` file, optional `scenario` TOML; refused when the browser says the
//! upload comes from another site's page) answers the plan JSON, its id in `X-Infercost-Result`;
//! `GET /api/progress` the running plan's progress; `GET /api/result/ID/{report.html,report.md,report.json,focus.csv}`
//! a finished plan's files; `GET /api/scenario` the embedded default scenario; `GET /api/catalog` the models and GPUs.

#[path = "serve/http.rs"]
mod http;
#[path = "serve/jobs.rs"]
mod jobs;
#[path = "serve/multipart.rs"]
mod multipart;

use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use http::{Incoming, Request, Response};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

const PAGE: &str = include_str!("serve/index.html");

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Port to listen on (default: a free one, printed at start)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on; anything but loopback lets other machines upload logs and run plans
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Largest upload accepted, MiB (request log and scenario together)
    #[arg(long, default_value_t = 256)]
    max_upload_mb: u64,
    /// A script file appended to the page (tests drive the page in a browser with it)
    #[arg(long, hide = true)]
    page_script: Option<PathBuf>,
}

struct Server {
    jobs: jobs::Jobs,
    page: String,
    max_body: u64,
}

pub(crate) fn serve(a: ServeArgs) -> Result<()> {
    let listener = TcpListener::bind((a.bind, a.port))
        .with_context(|| format!("cannot listen on {}:{}", a.bind, a.port))?;
    let addr = listener.local_addr()?;
    let mut page = PAGE.to_string();
    if let Some(f) = &a.page_script {
        let script =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        page = page.replace("</body>", &format!("<script>{script}</script></body>"));
    }
    if !addr.ip().is_loopback() {
        output::warn(&format!(
            "listening on {addr}: anyone who can reach it can upload logs and run plans"
        ));
    }
    output::line(&format!("infercost serve: http://{addr}/"));
    output::note("one plan at a time; Ctrl-C stops the server");
    let server = Arc::new(Server {
        jobs: jobs::Jobs::default(),
        page,
        max_body: a.max_upload_mb.saturating_mul(1024 * 1024),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let server = server.clone();
        std::thread::spawn(move || server.connection(stream));
    }
    Ok(())
}

impl Server {
    fn connection(&self, mut stream: TcpStream) {
        let response = match http::read_request(&mut stream, self.max_body) {
            Ok(Incoming::Request(req)) => self.route(&req),
            Ok(Incoming::Refuse(r)) => {
                let _ = r.send(&mut stream);
                http::drain(&mut stream);
                return;
            }
            Err(_) => return,
        };
        let _ = response.send(&mut stream);
    }

    fn route(&self, req: &Request) -> Response {
        let path = req.path.split('?').next().unwrap_or("");
        match (req.method.as_str(), path) {
            ("GET", "/") => Response::new(200, "text/html; charset=utf-8", self.page.clone()),
            ("GET", "/api/progress") => {
                Response::new(200, "application/json", self.jobs.progress())
            }
            ("GET", "/api/scenario") => Response::new(
                200,
                "text/plain; charset=utf-8",
                infercost_plan::scenario::DEFAULT_SCENARIO,
            ),
            ("GET", "/api/catalog") => catalog(),
            ("POST", "/api/plan") => self.plan(req),
            ("GET", p) if p.starts_with("/api/result/") => self.download(p),
            (_, "/api/plan") => Response::text(405, "POST the upload here"),
            _ => Response::text(404, "not found"),
        }
    }

    fn plan(&self, req: &Request) -> Response {
        if !same_site(req) {
            return Response::text(
                403,
                "uploads come from this server's own page or from a client without an Origin (curl, scripts)",
            );
        }
        let Some(boundary) = req.header("content-type").and_then(multipart::boundary) else {
            return Response::text(
                400,
                "error: send a multipart/form-data upload with a `trace` file and an optional `scenario`",
            );
        };
        let parts = match multipart::parse(&req.body, &boundary) {
            Ok(p) => p,
            Err(e) => return Response::text(400, format!("error: {e}")),
        };
        match self.jobs.plan(&parts) {
            Ok((id, reports)) => Response::new(200, "application/json", reports.json.clone())
                .with("X-Infercost-Result", id.to_string())
                .with(
                    "X-Infercost-Focus",
                    if reports.focus.is_some() { "1" } else { "0" },
                ),
            Err(message) => Response::text(400, message),
        }
    }

    fn download(&self, path: &str) -> Response {
        let rest = path.trim_start_matches("/api/result/");
        let Some((id, file)) = rest.split_once('/') else {
            return Response::text(404, "not found");
        };
        let Some(r) = id.parse().ok().and_then(|id| self.jobs.result(id)) else {
            return Response::text(404, "no such result (only the last few are kept)");
        };
        let (kind, body) = match file {
            "report.html" => ("text/html; charset=utf-8", r.html.clone()),
            "report.md" => ("text/markdown; charset=utf-8", r.markdown.clone()),
            "report.json" => ("application/json", r.json.clone()),
            "focus.csv" => match &r.focus {
                Some(f) => ("text/csv; charset=utf-8", f.clone()),
                None => return Response::text(404, "this plan has no bill to write as FOCUS rows"),
            },
            _ => return Response::text(404, "not found"),
        };
        let response = Response::new(200, kind, body);
        if file == "report.html" {
            response
        } else {
            response.with(
                "Content-Disposition",
                format!("attachment; filename=\"{file}\""),
            )
        }
    }
}

/// The catalog names the page offers: models and GPUs.
fn catalog() -> Response {
    let gpus: Vec<String> = infercost_perf::GpuCatalog::embedded()
        .all()
        .iter()
        .map(|g| g.name.clone())
        .collect();
    let body = serde_json::json!({
        "models": infercost_perf::ModelCatalog::names(),
        "gpus": gpus,
    });
    Response::new(200, "application/json", body.to_string())
}

/// Whether an upload may be planned: browsers name the page that sends a cross-site POST in `Origin`, so an
/// upload whose `Origin` is another site is refused (another site's page cannot make this server plan), while
/// clients that send no `Origin` (curl, scripts, other tools) and this server's own page are served.
fn same_site(req: &Request) -> bool {
    match (req.header("origin"), req.header("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin == format!("http://{host}"),
        (Some(_), None) => false,
    }
}
