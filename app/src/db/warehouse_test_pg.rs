//! A real PostgreSQL for the tests (`test_cluster.rs`), and tables loaded with exports.

use sqlx::postgres::PgConnection;
use sqlx::Connection;

use crate::warehouse::layout::{Columns, Layout, TableName};

pub use crate::warehouse::test_cluster::url;

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
pub async fn load_export(layout: &Layout, export: &[u8]) -> crate::db::warehouse_load::Loaded {
    let mut conn = connect().await;
    let drop = format!("DROP TABLE IF EXISTS \"{}\" CASCADE", layout.table.table);
    sqlx::query(&drop)
        .execute(&mut conn)
        .await
        .expect("drop works");
    crate::db::warehouse_load::create_table(&mut conn, layout)
        .await
        .expect("create works");
    crate::db::warehouse_load::load(&mut conn, layout, export)
        .await
        .expect("load works")
}
