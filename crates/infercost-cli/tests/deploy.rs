//! The deployment files, checked without a container registry or a Kubernetes cluster: the Dockerfile copies what
//! the build reads, the Kubernetes manifests agree with each other and with `--shard auto`, and
//! `deploy/slurm/plan.sh` refuses bad arguments (`tests/slurm.rs` runs it on a real Slurm).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn dockerfile_copies_everything_the_release_build_reads() {
    let dockerfile = read("Dockerfile");
    let root = root();
    // Sources of `COPY SRC... DEST` in the build stage (not `COPY --from=`, which copies between stages).
    let copied: Vec<PathBuf> = dockerfile
        .lines()
        .filter_map(|l| l.trim().strip_prefix("COPY "))
        .filter(|args| !args.trim_start().starts_with("--from="))
        .flat_map(|args| {
            let words: Vec<&str> = args.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| root.join(w))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(copied.len() >= 4, "{copied:?}");
    for src in &copied {
        assert!(
            src.exists(),
            "the Dockerfile copies {}, which is not in the repository",
            src.display()
        );
    }
    // Every file a crate embeds must be in the image's build context, or the release build fails there only.
    let mut sources = Vec::new();
    rust_files(&root.join("crates"), &mut sources);
    let mut embeds = 0;
    for file in sources {
        let whole = std::fs::read_to_string(&file).unwrap();
        // Test modules and test files are not part of the release build.
        if file.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let text = whole.split("#[cfg(test)]").next().unwrap_or("");
        for macro_ in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(macro_) {
                let rest = &text[at + macro_.len()..];
                let target = file
                    .parent()
                    .unwrap()
                    .join(&rest[..rest.find('"').unwrap()]);
                let target = target.canonicalize().unwrap_or_else(|_| {
                    panic!(
                        "{} embeds {}, which is missing",
                        file.display(),
                        target.display()
                    )
                });
                assert!(
                    copied.iter().any(|c| target.starts_with(c)),
                    "{} embeds {}, which the Dockerfile does not copy",
                    file.display(),
                    target.display()
                );
                embeds += 1;
            }
        }
    }
    assert!(embeds > 10, "found only {embeds} embedded files");
    for needed in [
        "cargo build --release --locked -p infercost-cli",
        "FROM debian:bookworm-slim",
        "COPY --from=build /usr/local/bin/infercost /usr/local/bin/infercost",
        "ENTRYPOINT [\"infercost\"]",
    ] {
        assert!(
            dockerfile.contains(needed),
            "the Dockerfile lacks {needed:?}"
        );
    }
    // The build context leaves out the (large) local build.
    assert!(read(".dockerignore").lines().any(|l| l.trim() == "target"));
}

/// The value after `key: ` on the line that holds it, in a manifest.
fn field<'a>(yaml: &'a str, key: &str) -> Vec<&'a str> {
    yaml.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix(": "))
        .map(|v| v.trim().trim_matches('"'))
        .collect()
}

#[test]
fn kubernetes_manifests_agree_with_each_other_and_with_shard_auto() {
    let dir = "deploy/kubernetes";
    let [scenario, volume, plan, merge] = [
        "scenario.yaml",
        "volume.yaml",
        "plan-job.yaml",
        "merge-job.yaml",
    ]
    .map(|f| read(&format!("{dir}/{f}")));
    assert!(read(&format!("{dir}/README.md"))
        .contains("kubectl wait --for=condition=complete job/infercost-plan"));
    for (name, yaml) in [
        ("scenario", &scenario),
        ("volume", &volume),
        ("plan", &plan),
        ("merge", &merge),
    ] {
        // YAML forbids tabs in indentation; every document names its API and kind.
        assert!(!yaml.contains('\t'), "{name}: a tab");
        assert_eq!(field(yaml, "apiVersion").len(), 1, "{name}");
        assert_eq!(field(yaml, "kind").len(), 1, "{name}");
    }
    assert_eq!(field(&plan, "kind"), ["Job"]);
    assert_eq!(field(&merge, "kind"), ["Job"]);
    assert_eq!(field(&plan, "completionMode"), ["Indexed"]);
    let completions = field(&plan, "completions");
    assert_eq!(completions.len(), 1);
    let n: u32 = completions[0].parse().unwrap();
    let parallelism: u32 = field(&plan, "parallelism")[0].parse().unwrap();
    assert!((1..=n).contains(&parallelism));
    // INFERCOST_SHARDS is the count --shard auto reads: it must be the Job's completions.
    let shards = plan
        .lines()
        .skip_while(|l| !l.contains("name: INFERCOST_SHARDS"))
        .nth(1)
        .and_then(|l| l.trim().strip_prefix("value: "))
        .map(|v| v.trim_matches('"'));
    assert_eq!(shards, Some(completions[0]));
    assert!(plan.contains(
        "infercost plan /config/scenario.toml --shard auto --json --no-progress > /out/shard-$JOB_COMPLETION_INDEX.json"
    ));
    assert!(merge.contains("infercost merge /out --json > /out/result.json"));
    // Both Jobs mount the same scenario at the same path (merge reads the pilot again from there) and the claim.
    assert_eq!(field(&scenario, "kind"), ["ConfigMap"]);
    assert_eq!(field(&volume, "kind"), ["PersistentVolumeClaim"]);
    let config = field(&scenario, "name")[0];
    let claim = field(&volume, "name")[0];
    for job in [&plan, &merge] {
        assert_eq!(field(job, "claimName"), [claim]);
        assert!(field(job, "name").contains(&config));
        assert_eq!(field(job, "mountPath"), ["/config", "/out"]);
        assert_eq!(field(job, "restartPolicy"), ["Never"]);
    }
    assert!(volume.contains("ReadWriteMany"));
    // The scenario is a valid one, with GPUs and models this infercost knows.
    let (_, body) = scenario.split_once("scenario.toml: |\n").unwrap();
    let toml: String = body
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    let s = infercost_plan::Scenario::parse(&toml, "deploy/kubernetes/scenario.yaml").unwrap();
    let gpus = infercost_perf::GpuCatalog::embedded();
    for g in &s.gpus {
        gpus.get(g).unwrap();
    }
    for d in &s.deployments {
        infercost_perf::ModelCatalog::get(&d.model).unwrap();
    }
}

#[test]
fn slurm_script_refuses_what_it_cannot_submit() {
    let script = root().join("deploy/slurm/plan.sh");
    let run = |args: &[&str], path: &str| {
        let out = Command::new(&script)
            .args(args)
            .env("PATH", path)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let dir = std::env::temp_dir().join(format!("infercost-deploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, "").unwrap();
    let s = scenario.to_str().unwrap();
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_infercost"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{bin}:/usr/bin:/bin");
    let (code, err) = run(&[], &path);
    assert_eq!(code, 2);
    assert!(err.starts_with("usage: "), "{err}");
    assert_eq!(
        run(&[s, o, "0"], &path),
        (
            2,
            "error: SHARDS must be a whole number of at least 1, not '0'\n".into()
        )
    );
    assert_eq!(
        run(&[dir.join("none.toml").to_str().unwrap(), o], &path),
        (
            2,
            format!(
                "error: no scenario file '{}'\n",
                dir.join("none.toml").display()
            )
        )
    );
    assert_eq!(
        run(&[s, o], "/usr/bin:/bin"),
        (2, "error: no infercost on PATH\n".into())
    );
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("result.json"), "{}").unwrap();
    assert_eq!(
        run(&[s, o], &path),
        (
            2,
            format!("error: {o} already holds shard-*.json or result.json; give an empty folder\n")
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}
