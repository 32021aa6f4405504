//! The house rules, checked: the crates' dependency arrows point one way (the model, simulator, cost and core
//! crates know nothing of files or the command line), no library prints or reads the clock or panics, every
//! source file opens with a `//!` comment saying what it is for, no source file grows past 600 lines and no
//! function past 100 (tests excepted). `cargo test tidy` runs these.

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

/// Library lines that abort instead of returning an error (comments and tests excepted).
fn panicking_lines(source: &str) -> Vec<(usize, String)> {
    const BANNED: [&str; 4] = ["panic!(", "unreachable!(", "todo!(", "unimplemented!("];
    let mut out = Vec::new();
    for (i, line) in non_test_lines(source).iter().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if BANNED.iter().any(|b| code.contains(b)) {
            out.push((i + 1, line.trim().to_string()));
        }
    }
    out
}

/// The lines before the file's `#[cfg(test)]` module: what the size rules measure.
fn non_test_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .collect()
}

/// Most lines a source file may hold outside its tests, and a function in all.
const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 100;

/// The code of a line with string and character literals and comments blanked, so braces inside them do not
/// count. `in_block` carries a `/* … */` comment across lines; a string spanning lines is rare enough in this
/// code base (and raw strings hold no unbalanced braces) that a line-local view suffices.
fn code_only(line: &str, in_block: &mut bool) -> String {
    let b: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if *in_block {
            if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                *in_block = false;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match b[i] {
            '/' if b.get(i + 1) == Some(&'/') => break,
            '/' if b.get(i + 1) == Some(&'*') => {
                *in_block = true;
                i += 2;
            }
            '"' => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    i += if b[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A character literal ('{', '\'', '\u{7b}'), not a lifetime ('a).
            '\'' if b.get(i + 2) == Some(&'\'') => i += 3,
            '\'' if b.get(i + 1) == Some(&'\\') => {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Functions longer than `MAX_FN_LINES`, as (first line, name, lines), from the `fn` line to its closing brace.
fn long_functions(source: &str) -> Vec<(usize, String, usize)> {
    let lines = non_test_lines(source);
    let mut in_block = false;
    let code: Vec<String> = lines.iter().map(|l| code_only(l, &mut in_block)).collect();
    let mut out = Vec::new();
    for (start, line) in code.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let mut depth = 0i64;
        let mut opened = false;
        'scan: for (end, l) in code.iter().enumerate().skip(start) {
            for ch in l.chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened => break 'scan,
                    _ => {}
                }
                if opened && depth == 0 {
                    let n = end - start + 1;
                    if n > MAX_FN_LINES {
                        out.push((start + 1, name.clone(), n));
                    }
                    break 'scan;
                }
            }
        }
    }
    out
}

/// The name of the function a line declares, if it declares one.
fn fn_name(code: &str) -> Option<String> {
    let mut words = code.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let qualifier =
            w.starts_with("pub") || ["const", "async", "unsafe", "extern", "\"\""].contains(&w);
        if w == "fn" {
            let name = words.next()?;
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        if !qualifier {
            return None;
        }
    }
    None
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

/// A path as the workspace names it, for messages.
fn shown(p: &Path) -> String {
    p.strip_prefix(workspace())
        .unwrap_or(p)
        .display()
        .to_string()
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

/// What `check` finds in the library crates' sources (every crate but the binary), as `path:line: code`.
fn library_findings(check: fn(&str) -> Vec<(usize, String)>) -> Vec<String> {
    let mut bad = Vec::new();
    for c in crates() {
        if c.ends_with("infercost-cli") {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&c.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, code) in check(&text) {
                bad.push(format!("{}:{line}: {code}", shown(&f)));
            }
        }
    }
    bad
}

#[test]
fn tidy_libraries_neither_print_nor_read_the_clock() {
    let bad = library_findings(impure_lines);
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
fn tidy_libraries_return_errors_instead_of_panicking() {
    let bad = library_findings(panicking_lines);
    assert!(bad.is_empty(), "libraries that panic:\n{}", bad.join("\n"));
}

#[test]
fn tidy_files_and_functions_stay_small() {
    let mut bad = Vec::new();
    for c in crates() {
        let mut files = Vec::new();
        rust_files(&c.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let n = non_test_lines(&text).len();
            if n > MAX_FILE_LINES {
                bad.push(format!(
                    "{}: {n} lines outside tests (at most {MAX_FILE_LINES})",
                    shown(&f)
                ));
            }
            for (line, name, n) in long_functions(&text) {
                bad.push(format!(
                    "{}:{line}: fn {name} is {n} lines (at most {MAX_FN_LINES})",
                    shown(&f)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "too large:\n{}", bad.join("\n"));
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
    let src = "//! x\nfn ok() { panic!(\"no\"); }\n// unreachable!() in a comment\n#[cfg(test)]\nfn t() { todo!() }\n";
    assert_eq!(panicking_lines(src).len(), 1);
    // A 101-line function is flagged; braces in strings, characters and comments do not confuse the count.
    let body: String = (0..99).map(|_| "    let x = '{'; // }\n").collect();
    let long = format!("//! x\npub(crate) fn long() {{\n{body}}}\nfn short() {{ \"}}\" }}\n");
    assert_eq!(long_functions(&long), vec![(2, "long".to_string(), 101)]);
    let short = long.replacen("    let x = '{'; // }\n", "", 1);
    assert!(long_functions(&short).is_empty());
    assert_eq!(fn_name("    pub async fn go<T>("), Some("go".into()));
    assert_eq!(fn_name("    let f = fn_name;"), None);
}
