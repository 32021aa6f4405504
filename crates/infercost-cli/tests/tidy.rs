//! The house rules, checked: the crates' dependency arrows point one way (the model, simulator, cost and core
//! crates know nothing of files or the command line), no library prints or reads the clock, and every source
//! file opens with a `//!` comment saying what it is for. `cargo test tidy` runs these.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Crates that must stay pure: no file formats, no command line.
const PURE: [&str; 4] = [
    "infercost-core",
    "infercost-perf",
    "infercost-sim",
    "infercost-cost",
];
const FORBIDDEN_DEPS: [&str; 3] = ["infercost-io", "clap", "infercost-report"];

/// The `[dependencies]` section's crate names in a Cargo.toml.
fn dependencies(toml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == "[dependencies]";
            continue;
        }
        if inside {
            if let Some((name, _)) = t.split_once('=') {
                let name = name.trim().trim_end_matches(".workspace").trim();
                if !name.is_empty() && !name.starts_with('#') {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// Lines of a library source that print or read the wall clock (comments and tests excepted).
fn impure_lines(source: &str) -> Vec<(usize, String)> {
    const BANNED: [&str; 8] = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "std::io::stdout",
        "std::io::stderr",
        "SystemTime::now",
        "Instant::now",
    ];
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        if BANNED.iter().any(|b| code.contains(b)) {
            out.push((i + 1, line.trim().to_string()));
        }
    }
    out
}

fn opens_with_doc(source: &str) -> bool {
    source.trim_start().starts_with("//!")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    v.sort();
    v
}

#[test]
fn tidy_pure_crates_depend_on_no_io_or_command_line() {
    let mut bad = Vec::new();
    for c in crates() {
        let name = c.file_name().unwrap().to_string_lossy().to_string();
        if !PURE.contains(&name.as_str()) {
            continue;
        }
        let toml = std::fs::read_to_string(c.join("Cargo.toml")).unwrap();
        for d in dependencies(&toml) {
            if FORBIDDEN_DEPS.contains(&d.as_str()) {
                bad.push(format!("{name} depends on {d}"));
            }
        }
    }
    assert!(bad.is_empty(), "forbidden dependencies: {bad:?}");
}

#[test]
fn tidy_libraries_neither_print_nor_read_the_clock() {
    let mut bad = Vec::new();
    for c in crates() {
        if c.ends_with("infercost-cli") {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&c.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, code) in impure_lines(&text) {
                bad.push(format!("{}:{line}: {code}", f.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "libraries print or read the clock:\n{}",
        bad.join("\n")
    );
}

#[test]
fn tidy_every_source_file_says_what_it_is_for() {
    let mut bad = Vec::new();
    for c in crates() {
        let mut files = Vec::new();
        for sub in ["src", "tests", "benches", "examples"] {
            rust_files(&c.join(sub), &mut files);
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            if !opens_with_doc(&text) {
                bad.push(f.display().to_string());
            }
        }
    }
    assert!(bad.is_empty(), "files without a `//!` opening: {bad:?}");
}

#[test]
fn tidy_checks_can_fail() {
    // Each rule flags a file that breaks it.
    let toml = "[package]\nname = \"x\"\n[dependencies]\ninfercost-io.workspace = true\nserde = \"1\"\n[dev-dependencies]\nclap = \"4\"\n";
    assert_eq!(dependencies(toml), vec!["infercost-io", "serde"]);
    let src = "//! x\nfn f() { println!(\"hi\"); }\n// eprintln! in a comment is fine\nlet t = std::time::Instant::now();\n#[cfg(test)]\nmod tests { fn g() { println!(); } }\n";
    let lines: Vec<usize> = impure_lines(src).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, vec![2, 4]);
    assert!(!opens_with_doc("use std::fmt;\n"));
    assert!(opens_with_doc("\n//! The model.\n"));
}
