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

/// The lines of `source` (outside comments) that contain any of `needles`, as (line, needle).
fn lines_with<'a>(source: &str, needles: &[&'a str]) -> Vec<(usize, &'a str)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let code = strip_comment(line);
        for &needle in needles {
            if code.contains(needle) {
                found.push((index + 1, needle));
            }
        }
    }
    found
}

/// Server functions a component imports: `use crate::api::x::{fetch_it, Type}` names a function
/// in lower case (types, such as a server function's action type or a view, are capitalised).
fn server_fns_imported(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let code = strip_comment(line).trim();
        let Some(path) = code.strip_prefix("use crate::api::") else {
            continue;
        };
        let names = match path.split_once('{') {
            Some((_, list)) => list.trim_end_matches(['}', ';']).to_owned(),
            None => path
                .rsplit("::")
                .next()
                .unwrap_or("")
                .trim_end_matches(';')
                .to_owned(),
        };
        for name in names.split(',').map(str::trim) {
            if name.starts_with(|c: char| c.is_lowercase()) && name != "self" {
                found.push((index + 1, name.to_owned()));
            }
        }
    }
    found
}

/// Ways a component could fetch or change data itself instead of being handed values.
const LOADING: [&str; 6] = [
    "Resource::new",
    "OnceResource",
    "ServerAction::new",
    "ServerAction::<",
    "Action::new",
    "spawn_local",
];

#[test]
fn components_take_values_and_call_no_server_function() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/components");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        files.len() > 10,
        "the components folder was not found: {dir:?}"
    );
    let mut problems = Vec::new();
    for file in files {
        let source = fs::read_to_string(&file).unwrap();
        for (line, what) in lines_with(&source, &LOADING) {
            problems.push(format!("{}:{line} uses {what}", file.display()));
        }
        for (line, name) in server_fns_imported(&source) {
            problems.push(format!(
                "{}:{line} imports the server function {name}",
                file.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "components get their data and actions from their page:\n{}",
        problems.join("\n")
    );
}

/// SQL in the server's code, outside `app/src/db/`.
const SQL: [&str; 5] = [
    "sqlx::query",
    "query_as(",
    "query_scalar(",
    "QueryBuilder",
    "sqlx::raw_sql",
];

#[test]
fn sql_is_written_only_under_db() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = root.join("src/db");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("../server/src"), &mut files);
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&db)) {
        let source = fs::read_to_string(file).unwrap();
        for (line, what) in lines_with(&source, &SQL) {
            problems.push(format!("{}:{line} uses {what}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "queries belong in app/src/db/ (a named function there):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_component_check_sees_a_server_function_import() {
    assert_eq!(
        server_fns_imported("use crate::api::pull::{cancel_pull, PullInfo};"),
        vec![(1, "cancel_pull".to_owned())]
    );
    assert_eq!(
        server_fns_imported("use crate::api::accounts::whoami;"),
        vec![(1, "whoami".to_owned())]
    );
    assert!(server_fns_imported("use crate::api::results::ResultsView;").is_empty());
    assert_eq!(
        lines_with("let r = Resource::new(|| (), |_| f());", &LOADING),
        vec![(1, "Resource::new")]
    );
}
