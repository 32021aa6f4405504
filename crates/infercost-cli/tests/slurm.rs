//! `deploy/slurm/plan.sh` on a real one-node Slurm cluster, started here as root (munged, slurmctld and slurmd on
//! their own socket, ports and folders): the array plans the shards with `--shard auto`, the merge job runs after
//! them, and its result.json is byte for byte what one `infercost plan --json` prints.
//!
//! Without Slurm or root the test prints a note and passes; with `INFERCOST_REQUIRE_SLURM=1` (as `.ci/run` sets)
//! it fails instead.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A program on PATH or in the sbin folders, where Debian puts the daemons (often not on a user's PATH).
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(cmd: &mut Command) -> String {
    String::from_utf8_lossy(&run(cmd).stdout).trim().to_string()
}

/// Polls `ready` every 200 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    ready()
}

/// A port nobody listens on now, so that the test's daemons do not meet a Slurm already on this machine.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The daemons this test started, stopped (and its jobs cancelled) when it ends, passing or failing. On a failure
/// the daemons' logs are printed and the folder is kept.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(&'static str, Child)>,
}

impl Cluster {
    fn slurm(&self, program: &str) -> Command {
        let mut c = Command::new(find(program).unwrap_or_else(|| PathBuf::from(program)));
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn start(&mut self, name: &'static str, cmd: &mut Command) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.out"))).unwrap();
        let child = cmd
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push((name, child));
    }

    fn check_running(&mut self) {
        for (name, child) in &mut self.daemons {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited ({status})");
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.daemons.len() == 3 {
            let _ = self
                .slurm("scancel")
                .arg("--user=root")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // slurmd, then slurmctld, then munged: each asks the one after it on the way down.
        for (name, mut child) in self.daemons.drain(..).rev() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            if !wait_for(Duration::from_secs(10), || {
                matches!(child.try_wait(), Ok(Some(_)))
            }) {
                let _ = writeln!(std::io::stderr(), "{name} ignored SIGTERM; killing it");
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            let mut err = std::io::stderr();
            for log in ["munged.out", "slurmctld.out", "slurmd.out"] {
                let body = std::fs::read_to_string(self.dir.join(log)).unwrap_or_default();
                let tail: Vec<&str> = body.lines().rev().take(30).collect();
                let _ = writeln!(err, "--- {log} (last lines)");
                for l in tail.iter().rev() {
                    let _ = writeln!(err, "{l}");
                }
            }
            let _ = writeln!(
                err,
                "the cluster's files are kept in {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Skips (with a note on stderr) or, when `INFERCOST_REQUIRE_SLURM=1`, fails.
fn unavailable(why: &str) {
    if std::env::var("INFERCOST_REQUIRE_SLURM").as_deref() == Ok("1") {
        panic!("INFERCOST_REQUIRE_SLURM=1 but {why}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\nNOTE: the Slurm test did not run: {why}. As root, `apt-get install slurmctld slurmd munge` and rerun `cargo test -p infercost-cli --test slurm`.\n"
    );
}

#[test]
fn slurm_array_and_merge_give_the_plan_of_one_run() {
    let programs = [
        "sbatch",
        "sinfo",
        "squeue",
        "scancel",
        "slurmctld",
        "slurmd",
        "munged",
    ];
    if let Some(missing) = programs.iter().find(|p| find(p).is_none()) {
        return unavailable(&format!("{missing} is not installed"));
    }
    if text(Command::new("id").arg("-u")) != "0" {
        return unavailable("the one-node cluster needs root (SlurmUser=root)");
    }
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("infercost-slurm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["state", "spool", "out"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    // munged refuses a socket whose folders others cannot search.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cluster = Cluster {
        conf: dir.join("slurm.conf"),
        dir: dir.clone(),
        daemons: Vec::new(),
    };

    // A key of our own, readable by its owner only (munged insists), and munged on a socket of our own.
    let key = dir.join("munge.key");
    let mut bytes = Vec::new();
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .take(1024)
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(&key, bytes).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    let socket = dir.join("munge.socket");
    let mut munged = Command::new(find("munged").unwrap());
    munged
        .arg("--foreground")
        .arg(format!("--key-file={}", key.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
        .arg(format!("--log-file={}", dir.join("munged.log").display()))
        .arg(format!("--seed-file={}", dir.join("munged.seed").display()));
    cluster.start("munged", &mut munged);
    assert!(
        wait_for(Duration::from_secs(20), || socket.exists()),
        "munged did not open its socket"
    );

    // The short host name (`hostname -s`), which slurmd takes for its node's name.
    let node = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let node = node.trim().split('.').next().unwrap().to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let d = dir.display();
    let conf = format!(
        "ClusterName=infercost-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={socket}
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=infercost Nodes={node} Default=YES MaxTime=INFINITE State=UP
",
        ctld_port = free_port(),
        d_port = free_port(),
        socket = socket.display(),
    );
    std::fs::write(&cluster.conf, conf).unwrap();
    let conf = cluster.conf.clone();
    cluster.start(
        "slurmctld",
        Command::new(find("slurmctld").unwrap())
            .arg("-D")
            .arg("-f")
            .arg(&conf),
    );
    cluster.start(
        "slurmd",
        Command::new(find("slurmd").unwrap())
            .arg("-D")
            .arg("-f")
            .arg(&conf)
            .arg("-N")
            .arg(&node),
    );
    let idle = wait_for(Duration::from_secs(60), || {
        cluster.check_running();
        cluster
            .slurm("sinfo")
            .args(["-h", "-n", &node, "-o", "%t"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    assert!(idle, "the node did not come up idle within a minute");
    let up = started.elapsed();

    // One deployment, one GPU, two volumes: two points, one per shard.
    let scenario = dir.join("tiny.toml");
    std::fs::write(
        &scenario,
        "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2]\ncontext = [1]\nburst = [1]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n",
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_infercost"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = dir.join("out");
    let submitted = text(
        Command::new(root().join("deploy/slurm/plan.sh"))
            .arg(&scenario)
            .arg(&out)
            .arg("2")
            .env("PATH", &path)
            .env("SLURM_CONF", &conf)
            .env_remove("INFERCOST_SHARDS"),
    );
    assert!(
        submitted.starts_with("submitted plan array "),
        "{submitted}"
    );

    // Bounded: a job that fails leaves the queue empty with no result, and that ends the wait early.
    let result = out.join("result.json");
    let mut queue_empty_since: Option<Instant> = None;
    let done = wait_for(Duration::from_secs(300), || {
        cluster.check_running();
        if result.exists() {
            return true;
        }
        let queued = cluster
            .slurm("squeue")
            .args(["-h", "-o", "%i"])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty());
        let since = *queue_empty_since.get_or_insert_with(Instant::now);
        if queued {
            queue_empty_since = None;
        }
        !queued && since.elapsed() > Duration::from_secs(5)
    });
    let logs = || {
        let mut all = String::new();
        for e in std::fs::read_dir(&out).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "out") {
                all += &format!(
                    "--- {}\n{}",
                    p.display(),
                    std::fs::read_to_string(&p).unwrap_or_default()
                );
            }
        }
        all
    };
    assert!(done, "no result.json within 5 minutes\n{}", logs());
    assert!(
        result.exists(),
        "the jobs left the queue without a result.json\n{}",
        logs()
    );
    let through_slurm = started.elapsed() - up;

    for i in 0..2 {
        let shard: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("shard-{i}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(shard["shard"], serde_json::json!([i, 2]), "shard-{i}.json");
    }
    let whole = Command::new(&bin)
        .arg("plan")
        .arg(&scenario)
        .args(["--json", "--no-progress"])
        .output()
        .unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let merged = std::fs::read(&result).unwrap();
    assert!(
        merged == whole.stdout,
        "result.json differs from `infercost plan --json`\n{}",
        logs()
    );
    let _ = writeln!(
        std::io::stderr(),
        "slurm: cluster up in {:.1} s, plan.sh to result.json in {:.1} s",
        up.as_secs_f64(),
        through_slurm.as_secs_f64()
    );
}
