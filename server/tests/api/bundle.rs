//! The bundle's files go out compressed to browsers that accept it: a twin made by
//! `scripts/compress_site.sh` when there is one, otherwise compressed on the way.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tower::ServiceExt;

/// A site folder with a wasm file (compressible, like real wasm) and a router serving it.
fn site(pool: SqlitePool, name: &str) -> (axum::Router, std::path::PathBuf, Vec<u8>) {
    let root = std::env::temp_dir().join(format!("verdict-site-{name}-{}", std::process::id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    std::fs::write(pkg.join("verdict.wasm"), &wasm).unwrap();
    let options = LeptosOptions::builder()
        .output_name("verdict")
        .site_root(root.to_string_lossy().to_string())
        .build();
    (server::router(options, pool), pkg, wasm)
}

async fn fetch(app: &axum::Router, accept: Option<&str>) -> (Option<String>, Vec<u8>) {
    let mut request = Request::get("/pkg/verdict.wasm");
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (encoding, body.to_vec())
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_wasm_goes_out_compressed_to_browsers_that_accept_it(pool: SqlitePool) {
    let (app, pkg, wasm) = site(pool, "onthefly");

    let (encoding, body) = fetch(&app, None).await;
    assert_eq!(
        (encoding, body.len()),
        (None, wasm.len()),
        "no Accept-Encoding: raw"
    );

    // Chromium over plain http offers gzip, not br.
    let (encoding, body) = fetch(&app, Some("gzip, deflate")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, wasm);
    assert!(body.len() < wasm.len() / 4, "{} bytes", body.len());

    let (encoding, body) = fetch(&app, Some("gzip, deflate, br")).await;
    assert_eq!(encoding.as_deref(), Some("br"));
    assert!(body.len() < wasm.len() / 4, "{} bytes", body.len());

    // A twin made at build time is what goes out.
    std::fs::write(pkg.join("verdict.wasm.br"), b"the build's brotli twin").unwrap();
    let (encoding, body) = fetch(&app, Some("br")).await;
    assert_eq!(encoding.as_deref(), Some("br"));
    assert_eq!(body, b"the build's brotli twin");
    std::fs::remove_dir_all(pkg.parent().unwrap()).unwrap();
}

/// A site folder holding only a split build's `manifest`, and a router serving pages from it:
/// the router (signed in as the caller chooses) and the folder to remove.
fn split_site(
    pool: SqlitePool,
    name: &str,
    manifest: serde_json::Value,
) -> (axum::Router, std::path::PathBuf) {
    let root = std::env::temp_dir().join(format!("verdict-site-{name}-{}", std::process::id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__wasm_split_manifest.json"), manifest.to_string()).unwrap();
    let options = LeptosOptions::builder()
        .output_name("verdict")
        .site_root(root.to_string_lossy().to_string())
        .build();
    (server::router(options, pool), root)
}

/// The split files a page's head asks the browser to preload, sorted.
fn preloads(html: &str) -> Vec<String> {
    let head = &html[..html.find("</head>").expect("a head")];
    let mut files: Vec<String> = head
        .split("<link ")
        .skip(1)
        .filter(|link| link.contains("rel=\"preload\"") && link.contains("as=\"fetch\""))
        .filter_map(|link| link.split("href=\"/pkg/").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|file| file.starts_with("split_"))
        .map(str::to_owned)
        .collect();
    files.sort();
    files
}

/// A page's head preloads the file of the bundle's piece it hydrates with (beside the shell's) (after
/// `verdict pack-bundle`, its pack), so the browser fetches it beside the shell; a draft's page
/// for an editor preloads the brief form's too, a page read without it does not.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_page_preloads_the_pieces_it_hydrates_with(pool: SqlitePool) {
    let manifest = serde_json::json!({
        "browse_page_1": ["split_browse_page_1.pack"],
        "experiment_page_2": ["split_experiment_page_2.pack"],
        "brief_form_3": ["split_brief_form_3.pack"],
    });
    let (router, root) = split_site(pool.clone(), "preload", manifest);
    let app = crate::helpers::signed_in_as_admin(router, pool);
    let (status, board) = crate::helpers::get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(preloads(&board), ["split_browse_page_1.pack.wasm"]);

    let (status, _) = crate::helpers::call(&app, "create_experiment", serde_json::json!({"form": {"key": "", "title": "Preloaded", "hypothesis": "h", "owner": "Sara", "team": "Growth", "surface": "home", "tags": ""}})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, draft) = crate::helpers::get(&app, "/experiments/preloaded").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        draft.contains("Save brief"),
        "the editor's draft has its form"
    );
    assert_eq!(
        preloads(&draft),
        [
            "split_brief_form_3.pack.wasm",
            "split_experiment_page_2.pack.wasm"
        ]
    );
    let _ = std::fs::remove_dir_all(root);
}

/// After `verdict pack-bundle` packed each page with the piece the server draws beside it, a
/// first visit preloads that one pack: an editor's draft the page with its form, a launched
/// experiment the page with its results, a viewer's draft the page alone.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_first_visit_preloads_the_page_packed_with_what_the_server_drew_beside_it(
    pool: SqlitePool,
) {
    let manifest = serde_json::json!({
        "experiment_page_2": ["split_experiment_page_2.pack"],
        "brief_form_3": ["split_brief_form_3.pack"],
        "results_part_4": ["split_results_part_4.pack"],
        "experiment_page_2+brief_form_3": ["split_experiment_page_2.with_brief_form.pack"],
        "experiment_page_2+results_part_4": ["split_experiment_page_2.with_results_part.pack"],
    });
    let (router, root) = split_site(pool.clone(), "pairs", manifest);
    let app = crate::helpers::signed_in_as_admin(router.clone(), pool.clone());

    let (status, _) = crate::helpers::call(&app, "create_experiment", serde_json::json!({"form": {"key": "draft", "title": "A draft", "hypothesis": "h", "owner": "Sara", "team": "Growth", "surface": "home", "tags": ""}})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, draft) = crate::helpers::get(&app, "/experiments/draft").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        draft.contains("Save brief"),
        "the editor's draft has its form"
    );
    assert_eq!(
        preloads(&draft),
        ["split_experiment_page_2.with_brief_form.pack.wasm"]
    );

    crate::helpers::running_checkout(&app, &pool, "running").await;
    let (status, running) = crate::helpers::get(&app, "/experiments/running").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        running.contains("id=\"results\""),
        "a running experiment has its results"
    );
    assert_eq!(
        preloads(&running),
        ["split_experiment_page_2.with_results_part.pack.wasm"]
    );

    let token = crate::helpers::token(&pool, app::domain::account::Role::Viewer).await;
    let request = axum::http::Request::get("/experiments/draft")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, read) = crate::helpers::answer(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!read.contains("Save brief"), "a viewer reads the draft");
    assert_eq!(preloads(&read), ["split_experiment_page_2.pack.wasm"]);
    let _ = std::fs::remove_dir_all(root);
}
