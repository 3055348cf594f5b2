//! The layering rule, checked on the source text: the domain (`app/src/domain`) is plain Rust.
//! It may not name the UI framework, the database crate, the HTTP stack or an HTTP client, so
//! lifecycle, brief, statistics, decision rule and attribution can be read, tested and reused
//! without any of them. Storage mappings for domain types live in `app/src/db/`.

use std::fs;
use std::path::{Path, PathBuf};

/// Crates the domain must not use.
const FORBIDDEN: [&str; 7] = [
    "leptos", "sqlx", "axum", "http", "tower", "hyper", "reqwest",
];

/// Every `crate::` or `crate(` use of a forbidden crate in `source`, as (line number, crate),
/// ignoring comments.
fn forbidden_uses(source: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let code = strip_comment(line);
        for name in FORBIDDEN {
            let mut from = 0;
            while let Some(at) = code[from..].find(name) {
                let start = from + at;
                let end = start + name.len();
                let before = code[..start].chars().next_back();
                let starts_a_path = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                let rest = code[end..].trim_start();
                let used = rest.starts_with("::")
                    || rest.starts_with('(')
                    || (rest.starts_with(';') && code.trim_start().starts_with("use "))
                    || (rest.starts_with('{') && code.trim_start().starts_with("use "));
                if starts_a_path && used {
                    found.push((index + 1, name));
                }
                from = end;
            }
        }
    }
    found
}

/// The line without a `//` comment. A `//` inside a string (a URL) is kept: the domain's
/// strings never hold `name::`, and cutting there could only hide code, never invent it.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut previous = '\0';
    for (i, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if !in_string && previous == '/' => return &line[..i - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_domain_uses_no_ui_database_or_http_crate() {
    let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&domain, &mut files);
    assert!(
        files.len() > 20,
        "the domain folder was not found: {domain:?}"
    );
    let mut problems = Vec::new();
    for file in files {
        let source = fs::read_to_string(&file).unwrap();
        for (line, name) in forbidden_uses(&source) {
            problems.push(format!("{}:{line} uses {name}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the domain must stay plain Rust:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_sees_the_ways_a_crate_gets_in() {
    for (code, name) in [
        ("use sqlx::SqlitePool;", "sqlx"),
        ("#[cfg_attr(feature = \"ssr\", derive(sqlx::Type))]", "sqlx"),
        ("    let v = leptos::prelude::signal(0);", "leptos"),
        ("use axum;", "axum"),
        ("use http::{StatusCode};", "http"),
        ("fn f(s: http::StatusCode) {}", "http"),
    ] {
        assert_eq!(forbidden_uses(code), vec![(1, name)], "{code}");
    }
    for code in [
        "// use sqlx::SqlitePool;",
        "let url = \"https://data.mixpanel.com\"; // not http::",
        "let http_status = 200;",
        "fn leptos_free() {}",
        "/// Why not sqlx: see db/",
    ] {
        assert!(forbidden_uses(code).is_empty(), "{code}");
    }
}
