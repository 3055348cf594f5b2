//! A real PostgreSQL for the tests: the cluster `scripts/test.sh` started (its URL in
//! `VERDICT_TEST_PG_URL`), or, when the tests run on their own (`cargo test`), a throwaway one
//! started here through `scripts/pg-cluster.sh`, which stops it when this process ends.

use std::path::Path;
use std::sync::OnceLock;

use sqlx::postgres::PgConnection;
use sqlx::Connection;

use super::layout::{Columns, Layout, TableName};

pub fn url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("VERDICT_TEST_PG_URL") {
            return url;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh");
        let dir = std::env::temp_dir().join(format!("verdict-pg-{}", std::process::id()));
        let out = std::process::Command::new(script)
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

pub async fn connect() -> PgConnection {
    PgConnection::connect(url())
        .await
        .expect("the test PostgreSQL accepts connections")
}

/// A table of its own for one test (tests run in parallel on one cluster).
pub fn layout(name: &str) -> Layout {
    Layout {
        table: TableName::parse(&format!("t_{name}")).expect("plain name"),
        columns: Columns::default(),
    }
}

/// Drops and creates `layout`'s table in the pipeline layout and copies `export` into it.
pub async fn load_export(layout: &Layout, export: &[u8]) -> super::load::Loaded {
    let mut conn = connect().await;
    let drop = format!("DROP TABLE IF EXISTS \"{}\" CASCADE", layout.table.table);
    sqlx::query(&drop)
        .execute(&mut conn)
        .await
        .expect("drop works");
    super::load::create_table(&mut conn, layout)
        .await
        .expect("create works");
    super::load::load(&mut conn, layout, export)
        .await
        .expect("load works")
}
