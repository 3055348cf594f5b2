//! Preload hints for the pieces of the bundle a page needs (`app.rs`), in the page's `<head>`:
//! the browser then fetches a piece's file (after `verdict pack-bundle`, one pack) while it
//! fetches the shell, instead of after the shell has started and asked for it. Leptos 0.8
//! means to write these itself (`prefetch_lazy_fn_on_server`) but reads its manifest outside
//! the page's reactive owner, finds none, and writes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use leptos::prelude::*;

/// The split build's manifest, in the bundle's folder: piece (`<function>_<hash>`) -> files.
pub const MANIFEST: &str = "__wasm_split_manifest.json";

pub type Manifest = BTreeMap<String, Vec<String>>;

/// The `#[lazy]` function a manifest key names: `brief_form_9674612656343777417` -> `brief_form`.
pub fn piece_of(key: &str) -> &str {
    key.rsplit_once('_').map_or(key, |(name, _)| name)
}

/// The manifest of the bundle in `pkg`, read once per folder and process (as Leptos reads its
/// own copy): a page's render then costs no file read. A build replaces the server too.
fn manifest(pkg: PathBuf) -> Option<Arc<Manifest>> {
    static READ: OnceLock<Mutex<HashMap<PathBuf, Arc<Manifest>>>> = OnceLock::new();
    let mut read = READ
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(manifest) = read.get(&pkg) {
        return Some(manifest.clone());
    }
    // Not kept when missing: a split build may land after the server started.
    let text = std::fs::read_to_string(pkg.join(MANIFEST)).ok()?;
    let manifest = Arc::new(serde_json::from_str::<Manifest>(&text).ok()?);
    read.insert(pkg, manifest.clone());
    Some(manifest)
}

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
    let Some(manifest) = manifest(PathBuf::from(options.site_root.as_ref()).join(&pkg)) else {
        return;
    };
    let files = manifest
        .iter()
        .filter(|(key, _)| piece_of(key) == piece)
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
