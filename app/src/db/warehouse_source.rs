//! The one-row warehouse settings (`crate::warehouse::settings`).

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::audit::AuditedTx;
use crate::error::AppError;
use crate::pull::settings::Secret;
use crate::warehouse::layout::{Columns, Layout, TableName};
use crate::warehouse::settings::WarehouseSettings;

struct Row {
    url: String,
    table_name: String,
    event_column: String,
    time_column: String,
    distinct_id_column: String,
    insert_id_column: String,
    properties_column: String,
    timeout_secs: i64,
    use_for_pulls: bool,
}

/// The workspace's warehouse, or None before anyone saved one.
#[tracing::instrument(skip_all)]
pub async fn load(pool: &SqlitePool) -> Result<Option<WarehouseSettings>, AppError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT url, table_name, event_column, time_column, distinct_id_column,
                  insert_id_column, properties_column, timeout_secs,
                  use_for_pulls AS "use_for_pulls: bool"
           FROM warehouse_source WHERE id = 1"#
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    // Only checked names are saved; a row that no longer parses is a broken database.
    let broken =
        |e: crate::warehouse::layout::LayoutError| AppError::internal("warehouse_source", e);
    let mut columns = Columns::default();
    for (role, name) in [
        ("event", &row.event_column),
        ("time", &row.time_column),
        ("distinct_id", &row.distinct_id_column),
        ("insert_id", &row.insert_id_column),
        ("properties", &row.properties_column),
    ] {
        columns.set(role, name).map_err(broken)?;
    }
    Ok(Some(WarehouseSettings {
        url: Secret::new(row.url),
        layout: Layout {
            table: TableName::parse(&row.table_name).map_err(broken)?,
            columns,
        },
        // The column's CHECK keeps it within 10..=21600.
        timeout_secs: u32::try_from(row.timeout_secs).unwrap_or(600),
        use_for_pulls: row.use_for_pulls,
    }))
}

#[tracing::instrument(skip_all)]
pub async fn save(
    pool: &SqlitePool,
    settings: &WarehouseSettings,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = AuditedTx::begin(pool, "save warehouse settings").await?;
    let c = &settings.layout.columns;
    let (url, table) = (settings.url.expose(), settings.layout.table.to_string());
    let (event, time, distinct_id, insert_id, properties) = (
        c.event.as_str(),
        c.time.as_str(),
        c.distinct_id.as_str(),
        c.insert_id.as_str(),
        c.properties.as_str(),
    );
    let timeout = i64::from(settings.timeout_secs);
    sqlx::query!(
        "INSERT INTO warehouse_source (id, url, table_name, event_column, time_column, \
         distinct_id_column, insert_id_column, properties_column, timeout_secs, use_for_pulls, \
         updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, table_name = excluded.table_name, \
         event_column = excluded.event_column, time_column = excluded.time_column, \
         distinct_id_column = excluded.distinct_id_column, \
         insert_id_column = excluded.insert_id_column, \
         properties_column = excluded.properties_column, timeout_secs = excluded.timeout_secs, \
         use_for_pulls = excluded.use_for_pulls, updated_at = excluded.updated_at",
        url,
        table,
        event,
        time,
        distinct_id,
        insert_id,
        properties,
        timeout,
        settings.use_for_pulls,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_seed::as_tester;
    use crate::warehouse::settings::WarehouseView;

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn settings_round_trip_and_the_url_never_reaches_the_audit_log(pool: SqlitePool) {
        assert_eq!(load(&pool).await.unwrap(), None);
        let mut form = WarehouseView::default().form;
        form.url = "postgres://analyst:hunter2@db.internal:5432/analytics".into();
        form.table = "analytics.mp_events".into();
        form.time = "ts".into();
        let settings = form.parse(None).expect("valid");
        as_tester(save(&pool, &settings, Utc::now())).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Some(settings.clone()));
        form.url = "postgres://analyst:changed@db.internal:5432/analytics".into();
        let changed = form.parse(Some(&settings)).expect("valid");
        as_tester(save(&pool, &changed, Utc::now())).await.unwrap();
        let logged: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(before, '') || coalesce(after, '') FROM audit_log WHERE entity_type = 'warehouse_source'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(logged.len(), 2);
        for entry in &logged {
            assert!(
                !entry.contains("hunter2") && !entry.contains("changed@"),
                "{entry}"
            );
        }
        assert!(logged[1].contains("(hidden, changed)"), "{}", logged[1]);
        assert!(logged[0].contains("analytics.mp_events"));
    }
}
