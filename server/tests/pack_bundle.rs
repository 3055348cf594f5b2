//! `verdict pack-bundle` on a split bundle's folder: packs hold exactly the parts a first visit
//! needs, read back byte for byte; the manifest names the packs; the loader fetches through
//! them; a second run changes nothing; a loader of another shape is left alone.

use std::path::Path;
use std::process::Command;

const LOADER: &str = "__wasm_split.______________________.js";

/// A fresh folder under the system's temporary one, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("verdict-pack-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The loader's shape as wasm_split_cli_support 0.2 writes it (two chunks, three pieces).
fn loader() -> String {
    let part = |name: &str| {
        format!(
            "makeLoad(() => {{\n    const src = fetch(new URL(\"./{name}.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}\n"
        )
    };
    format!(
        "import {{ initSync }} from \"./verdict.js\";\n\nfunction makeLoad(fetcher, deps) {{\n    const loader = async () => {{\n        const parallelStuff = deps.map(d => d());\n        const instantiate = fetcher();\n        await Promise.all(parallelStuff);\n        return instantiate({{}});\n    }};\n    return loader;\n}}\n\
         const __chunk_1 = {}, []);\nconst __chunk_2 = {}, []);\n\
         export const __wasm_split_load_experiment_page_11 = wrapAsyncCb({}, [__chunk_1, __chunk_2]));\n\
         export const __wasm_split_load_brief_form_22 = wrapAsyncCb({}, [__chunk_1, __chunk_2]));\n\
         export const __wasm_split_load_browse_page_33 = wrapAsyncCb({}, [__chunk_2]));\n",
        part("chunk_1"),
        part("chunk_2"),
        part("split_experiment_page_11"),
        part("split_brief_form_22"),
        part("split_browse_page_33"),
    )
}

fn bundle(dir: &Path) {
    let manifest = serde_json::json!({
        "experiment_page_11": ["chunk_1", "chunk_2", "split_experiment_page_11"],
        "brief_form_22": ["chunk_1", "chunk_2", "split_brief_form_22"],
        "browse_page_33": ["chunk_2", "split_browse_page_33"],
    });
    std::fs::write(dir.join("__wasm_split_manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(dir.join(LOADER), loader()).unwrap();
    std::fs::write(dir.join(format!("{LOADER}.br")), b"stale").unwrap();
    for (name, bytes) in [
        ("chunk_1", &b"\0asm one"[..]),
        ("chunk_2", b"\0asm two two"),
        ("split_experiment_page_11", b"\0asm experiment"),
        ("split_brief_form_22", b"\0asm form"),
        ("split_browse_page_33", b"\0asm board"),
    ] {
        std::fs::write(dir.join(format!("{name}.wasm")), bytes).unwrap();
    }
}

fn pack(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("pack-bundle")
        .arg(dir)
        .output()
        .unwrap()
}

/// A pack's parts: a little-endian u32 header length, `[[name, bytes], ...]`, the bytes.
fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
    let header: Vec<(String, usize)> = serde_json::from_slice(&bytes[4..4 + len]).unwrap();
    let mut at = 4 + len;
    let parts = header
        .into_iter()
        .map(|(name, size)| {
            at += size;
            (name, bytes[at - size..at].to_vec())
        })
        .collect();
    assert_eq!(at, bytes.len(), "nothing after the last part");
    parts
}

#[test]
fn packs_hold_what_a_first_visit_needs_and_the_loader_reads_them() {
    let dir = TempDir::new("packs");
    bundle(dir.path());
    let out = pack(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("__wasm_split_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest,
        serde_json::json!({
            "experiment_page_11": ["split_experiment_page_11.pack"],
            "brief_form_22": ["split_brief_form_22.pack"],
            "browse_page_33": ["split_browse_page_33.pack"],
            "experiment_page_11+brief_form_22": ["split_experiment_page_11.with_brief_form.pack"],
        })
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let experiment = unpack(&read("split_experiment_page_11.pack.wasm"));
    assert_eq!(
        experiment,
        [
            ("chunk_1".to_owned(), b"\0asm one".to_vec()),
            ("chunk_2".to_owned(), b"\0asm two two".to_vec()),
            (
                "split_experiment_page_11".to_owned(),
                b"\0asm experiment".to_vec()
            ),
        ]
    );
    // The form always comes after the experiment page: its pack holds only what that lacks.
    assert_eq!(
        unpack(&read("split_brief_form_22.pack.wasm")),
        [("split_brief_form_22".to_owned(), b"\0asm form".to_vec())]
    );
    // A draft's first visit, which the server draws with the form, takes both in one pack.
    let names =
        |parts: Vec<(String, Vec<u8>)>| parts.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(
        names(unpack(&read(
            "split_experiment_page_11.with_brief_form.pack.wasm"
        ))),
        [
            "chunk_1",
            "chunk_2",
            "split_experiment_page_11",
            "split_brief_form_22"
        ]
    );
    assert_eq!(unpack(&read("split_browse_page_33.pack.wasm")).len(), 2);
    // The files as built stay: a later navigation fetches the chunks it still lacks one by one.
    assert_eq!(read("chunk_1.wasm"), b"\0asm one");

    let js = String::from_utf8(read(LOADER)).unwrap();
    assert!(
        !js.contains("fetch(new URL(\"./"),
        "every part goes through the packs: {js}"
    );
    assert!(js.contains("__part(\"chunk_1\")"));
    assert!(js.contains("function makeLoad(fetcher, deps, packs)"));
    for piece in ["experiment_page_11", "brief_form_22", "browse_page_33"] {
        assert!(
            js.contains(&format!("], __packs[\"{piece}\"]));")),
            "{piece}'s loader names its pack"
        );
    }
    // The page's packs in the order the loader tries them: with the form when the page holds
    // one the server drew, else its own.
    assert!(js.contains(r#""experiment_page_11":[{"file":"split_experiment_page_11.with_brief_form.pack","parts":["chunk_1","chunk_2","split_experiment_page_11","split_brief_form_22"],"when":"form.brief-editor"},{"file":"split_experiment_page_11.pack","parts":["chunk_1","chunk_2","split_experiment_page_11"]}]"#), "{js}");
    assert!(js.contains(
        r#""brief_form_22":[{"file":"split_brief_form_22.pack","parts":["split_brief_form_22"]}]"#
    ));
    assert!(
        !dir.path().join(format!("{LOADER}.br")).exists(),
        "a stale compressed twin of the loader would be served instead"
    );

    // Packed already: nothing changes.
    let again = pack(dir.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already packed"));
    assert_eq!(String::from_utf8(read(LOADER)).unwrap(), js);
}

/// The brief form and the results both follow the experiment page and share a chunk: each
/// one's own pack names the parts only it holds, which the loader checks before taking the
/// pack, so with the results loaded "Amend brief" still takes the form's one pack.
#[test]
fn followers_of_one_page_are_checked_on_the_parts_only_they_hold() {
    let dir = TempDir::new("followers");
    bundle(dir.path());
    let manifest = serde_json::json!({
        "experiment_page_11": ["chunk_1", "split_experiment_page_11"],
        "brief_form_22": ["chunk_1", "chunk_2", "split_brief_form_22"],
        "results_part_44": ["chunk_1", "chunk_2", "split_results_part_44"],
        "browse_page_33": ["chunk_2", "split_browse_page_33"],
    });
    std::fs::write(
        dir.path().join("__wasm_split_manifest.json"),
        manifest.to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("split_results_part_44.wasm"),
        b"\0asm results",
    )
    .unwrap();
    let js = loader().replace(
        "export const __wasm_split_load_browse_page_33",
        "export const __wasm_split_load_results_part_44 = wrapAsyncCb(makeLoad(() => {\n    const src = fetch(new URL(\"./split_results_part_44.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, [__chunk_1, __chunk_2]));\nexport const __wasm_split_load_browse_page_33",
    );
    std::fs::write(dir.path().join(LOADER), js).unwrap();
    let out = pack(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let js = std::fs::read_to_string(dir.path().join(LOADER)).unwrap();
    assert!(
        js.contains(r#""brief_form_22":[{"file":"split_brief_form_22.pack","parts":["chunk_2","split_brief_form_22"],"fresh":["split_brief_form_22"]}]"#),
        "{js}"
    );
    assert!(js.contains(r#""results_part_44":[{"file":"split_results_part_44.pack","parts":["chunk_2","split_results_part_44"],"fresh":["split_results_part_44"]}]"#));
    assert!(js.contains("(pack.fresh || pack.parts).some(p => __asked.has(p))"));
    // A page's own pack is checked on all its parts.
    assert!(js.contains(r#"{"file":"split_experiment_page_11.pack","parts":["chunk_1","split_experiment_page_11"]}]"#));
}

#[test]
fn a_loader_of_another_shape_is_left_as_built() {
    let dir = TempDir::new("other");
    bundle(dir.path());
    let other = loader().replace("function makeLoad(fetcher, deps)", "function load(f, d)");
    std::fs::write(dir.path().join(LOADER), &other).unwrap();
    let out = pack(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not the shape") && err.contains("makeLoad"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(LOADER)).unwrap(),
        other
    );
    assert!(!dir.path().join("split_browse_page_33.pack.wasm").exists());
    let manifest = std::fs::read_to_string(dir.path().join("__wasm_split_manifest.json")).unwrap();
    assert!(!manifest.contains(".pack"));
}

#[test]
fn a_folder_without_a_split_build_says_so() {
    let dir = TempDir::new("empty");
    let out = pack(dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("__wasm_split_manifest.json"));
}
