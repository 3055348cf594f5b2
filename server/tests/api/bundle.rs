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
