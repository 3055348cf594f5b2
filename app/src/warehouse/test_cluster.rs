//! The PostgreSQL the tests use: the cluster `scripts/test.sh` started (its URL in
//! `VERDICT_TEST_PG_URL`), or, when tests run on their own (`cargo test`), a throwaway one
//! started through `scripts/pg-cluster.sh`, which stops it when this process ends. Plain std
//! only: the server's test crates include this file too (`#[path]`).

use std::path::Path;
use std::sync::OnceLock;

/// The connection URL, starting the cluster on first use.
pub fn url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("VERDICT_TEST_PG_URL") {
            return url;
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!(
            "verdict-pg-{}-{}",
            env!("CARGO_PKG_NAME"),
            std::process::id()
        ));
        let out = std::process::Command::new(root.join("scripts/pg-cluster.sh"))
            .arg("start")
            .arg(&dir)
            .arg(std::process::id().to_string())
            .output()
            .expect("scripts/pg-cluster.sh runs");
        assert!(
            out.status.success(),
            "could not start a PostgreSQL for the tests (scripts/setup.sh installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("a URL")
            .trim()
            .to_owned()
    })
}
