//! Preload hints for the pieces of the bundle a page needs (`app.rs`), in the page's `<head>`:
//! the browser then fetches a piece's file (after `verdict pack-bundle`, one pack) while it
//! fetches the shell, instead of after the shell has started and asked for it. Leptos 0.8's
//! own hints (`prefetch_lazy_fn_on_server`) are switched off in `App`: they name each piece's
//! own file, not the pack a first visit takes, and appeared only on some renders.

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

/// A piece the server draws together with the page's piece before it (a draft's brief form for
/// its editor, a launched experiment's results), so a first visit hydrates with both.
/// `verdict pack-bundle` packs each pair into one file too (one brotli stream is smaller than
/// two), keyed `<page key>+<follower key>` in the manifest, and the loader in the browser takes
/// that file when `drawn`, a CSS selector, matches the page about to hydrate.
pub struct Follower {
    pub piece: &'static str,
    pub after: &'static str,
    pub drawn: &'static str,
}

pub const FOLLOWERS: &[Follower] = &[
    Follower {
        piece: "brief_form",
        after: "experiment_page",
        drawn: crate::pages::experiment::brief::DRAWN,
    },
    Follower {
        piece: "results_part",
        after: "experiment_page",
        drawn: crate::pages::experiment::results_part::DRAWN,
    },
];

/// The pieces a response already preloads: the server may draw a part of a page more than
/// once (a `Suspense` does), and each link is written once. Provided by `App` per request.
#[derive(Clone, Default)]
pub struct Preloaded(Arc<Mutex<BTreeSet<String>>>);

/// Adds a preload link for each file the manifest lists for `piece` (a `#[lazy]` function's
/// name, e.g. `browse_page`). Nothing without a split build's manifest.
pub fn piece(piece: &str) {
    if let Some(site) = Site::here() {
        site.links(piece, |key| piece_of(key) == piece);
    }
}

/// A first visit to a page whose piece `page` the server drew with `with` (a [`Follower`]):
/// their one pack when `verdict pack-bundle` wrote it, else each piece's files.
pub fn pieces(page: &str, with: Option<&str>) {
    let Some(site) = Site::here() else {
        return;
    };
    let Some(with) = with else {
        return site.links(page, |key| piece_of(key) == page);
    };
    let together = |key: &str| {
        key.split_once('+')
            .is_some_and(|(a, b)| piece_of(a) == page && piece_of(b) == with)
    };
    if site.manifest.keys().any(|key| together(key)) {
        site.links(&format!("{page}+{with}"), together);
    } else {
        site.links(page, |key| piece_of(key) == page);
        site.links(with, |key| piece_of(key) == with);
    }
}

/// This server's bundle: the folder its URLs start with, and its manifest.
struct Site {
    pkg: String,
    manifest: Arc<Manifest>,
}

impl Site {
    fn here() -> Option<Self> {
        let state = use_context::<crate::state::AppState>()?;
        let options = &state.leptos_options;
        let pkg = options.site_pkg_dir.to_string();
        let manifest = manifest(PathBuf::from(options.site_root.as_ref()).join(&pkg))?;
        Some(Self { pkg, manifest })
    }

    /// A link for each file of the manifest's entries `wanted` picks, once per response and
    /// `name`.
    fn links(&self, name: &str, wanted: impl Fn(&str) -> bool) {
        if let Some(Preloaded(done)) = use_context::<Preloaded>() {
            let mut done = done
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !done.insert(name.to_owned()) {
                return;
            }
        }
        let files = self
            .manifest
            .iter()
            .filter(|(key, _)| wanted(key))
            .flat_map(|(_, files)| files);
        for file in files {
            // Drawn into the head by the meta context; nothing is added to the page's body.
            let _ = view! {
                <leptos_meta::Link rel="preload" href=format!("/{}/{file}.wasm", self.pkg)
                    as_="fetch" type_="application/wasm" crossorigin="anonymous" />
            }
            .to_html();
        }
    }
}
