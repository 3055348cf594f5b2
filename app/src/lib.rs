#![recursion_limit = "256"]
//! Verdict: the experimentation program's backlog, briefs, results and decisions.
//!
//! Layout (dependencies point one way): `domain` (plain Rust, both builds) <- `db` (server only)
//! <- `api` (server functions) <- `pages` (routed views) -> `components` (props in, no server
//! calls). `pull` streams Mixpanel exports into snapshots (wire types for both builds, its IO
//! server only). `server/` wires the axum router around this library.

pub mod api;
pub mod app;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod components;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
pub mod domain;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod preload;
pub mod pull;
#[cfg(feature = "ssr")]
pub mod secret;
#[cfg(feature = "ssr")]
pub mod state;
pub mod warehouse;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `leptos::mount::hydrate_lazy`, plus the mark: a page's code is a lazily loaded piece
    // (app.rs), so the page is hydrated only when that piece has arrived and hydrated too.
    // `data-hydrated` tells people's scripts and the browser tests that clicks now reach the wasm.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Room in the bundle's read-only data for `cargo leptos build --split`. The splitter moves each
/// piece's constants (strings, tables) into that piece's own range of the data segment, aligning
/// each range; when the aligned ranges no longer fit in the segment's original length (by a few
/// dozen bytes), it gives up and puts the whole segment, every page's strings, into the shell
/// ("Overlong segment 0 ... putting it in main module"). No code refers to these bytes, so no
/// piece includes them and they are never downloaded: they only leave the splitter that room.
#[cfg(feature = "hydrate")]
#[used]
static SPLIT_DATA_SLACK: [u8; 4096] = [0x5a; 4096];
