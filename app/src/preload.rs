//! Preload hints for the pieces of the bundle a page needs (`app.rs`), in the page's `<head>`:
//! the browser then fetches a piece's file (after `verdict pack-bundle`, one pack) while it
//! fetches the shell, instead of after the shell has started and asked for it. Leptos 0.8
//! means to write these itself (`prefetch_lazy_fn_on_server`) but reads its manifest outside
//! the page's reactive owner, finds none, and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use leptos::prelude::*;

/// The pieces a response already preloads: the server may draw a part of a page more than
/// once (a `Suspense` does), and each link is written once. Provided by `App` per request.
#[derive(Clone, Default)]
pub struct Preloaded(Arc<Mutex<BTreeSet<String>>>);

/// Adds a preload link for each file the manifest lists for `piece` (a `#[lazy]` function's
/// name, e.g. `experiment_page`). Nothing without a split build's manifest.
pub fn piece(piece: &str) {
    if let Some(Preloaded(done)) = use_context::<Preloaded>() {
        let mut done = done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !done.insert(piece.to_owned()) {
            return;
        }
    }
    let Some(state) = use_context::<crate::state::AppState>() else {
        return;
    };
    let options = &state.leptos_options;
    let pkg = options.site_pkg_dir.to_string();
    let path = std::path::Path::new(options.site_root.as_ref())
        .join(&pkg)
        .join("__wasm_split_manifest.json");
    // Small (a line per piece) and read only when a page is drawn, not for a cached copy.
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(manifest) = serde_json::from_str::<BTreeMap<String, Vec<String>>>(&text) else {
        return;
    };
    let files = manifest
        .into_iter()
        .filter(|(key, _)| key.rsplit_once('_').is_some_and(|(name, _)| name == piece))
        .flat_map(|(_, files)| files);
    for file in files {
        // Drawn into the head by the meta context; nothing is added to the page's body.
        let _ = view! {
            <leptos_meta::Link rel="preload" href=format!("/{pkg}/{file}.wasm") as_="fetch"
                type_="application/wasm" crossorigin="anonymous" />
        }
        .to_html();
    }
}
