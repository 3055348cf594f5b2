//! Queries to the team's warehouse (not Verdict's own store): running the generated attribution
//! query (`crate::warehouse::query`) on PostgreSQL: look the table up in the catalog, then one
//! read-only transaction with a statement timeout, cancellable from outside.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions as _, Connection, Row as _};
use tokio::sync::watch;

use crate::domain::attribution::{Config, Report};
use crate::warehouse::dialect::Postgres;
use crate::warehouse::layout::{Layout, LayoutError, TimeKind};
use crate::warehouse::query::{build, Bind, QueryError};
use crate::warehouse::read::{report, ReadError, Row};

/// Why a warehouse query did not produce a report. None of these quote the connection URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarehouseError {
    #[error(
        "the connection URL is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
    )]
    BadUrl,
    #[error("could not connect to the warehouse: {0}")]
    Connect(String),
    #[error("the table `{0}` does not exist in the warehouse, or the user may not read it")]
    NoTable(String),
    #[error("the table `{table}` has no column `{column}` (the {role} column)")]
    NoColumn {
        table: String,
        role: &'static str,
        column: String,
    },
    #[error("the {role} column `{column}` is of type {found}; expected {expected}")]
    ColumnType {
        role: &'static str,
        column: String,
        found: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("{0}")]
    Config(#[from] QueryError),
    #[error(
        "the warehouse query ran longer than its {0} s limit and was stopped (raise the limit under Settings, or narrow the scan with an index on the time column)"
    )]
    TimedOut(u64),
    #[error("cancelled")]
    Cancelled,
    #[error("the warehouse query failed: {0}")]
    Query(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// A connection to the warehouse, and what it is asked to read. `Debug` shows where the URL
/// points, never its user or password.
#[derive(Clone)]
pub struct Target<'a> {
    pub url: &'a str,
    pub layout: &'a Layout,
    /// The longest a query may run before the warehouse stops it.
    pub timeout: Duration,
}

impl std::fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field(
                "url",
                &crate::warehouse::settings::where_it_points(self.url),
            )
            .field("layout", &self.layout)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Target<'_> {
    async fn connect(&self) -> Result<PgConnection, WarehouseError> {
        check_url(self.url)?;
        let options = PgConnectOptions::from_str(self.url)
            .map_err(|_| WarehouseError::BadUrl)?
            .application_name("verdict")
            // The generated statement is long and its values are people's event names: not
            // for the log (sqlx would print it whole as a slow statement).
            .disable_statement_logging();
        let connect = PgConnection::connect_with(&options);
        match tokio::time::timeout(Duration::from_secs(30), connect).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(WarehouseError::Connect(describe(&e))),
            Err(_) => Err(WarehouseError::Connect("no answer within 30 s".into())),
        }
    }
}

/// Only PostgreSQL URLs: anything else would be read by sqlx as a host name.
pub fn check_url(url: &str) -> Result<(), WarehouseError> {
    let scheme_ok = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !scheme_ok || PgConnectOptions::from_str(url).is_err() {
        return Err(WarehouseError::BadUrl);
    }
    Ok(())
}

/// The database's own words for an error (never the URL, which sqlx does not include).
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        other => other.to_string().chars().take(300).collect(),
    }
}

/// Checks the table and its columns in the catalog and returns how `time` is stored.
async fn inspect(conn: &mut PgConnection, layout: &Layout) -> Result<TimeKind, WarehouseError> {
    let table = &layout.table;
    let rows = sqlx::query(
        "SELECT column_name::text AS name, data_type::text AS type
         FROM information_schema.columns
         WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
    )
    .bind(table.schema.as_ref().map(|s| s.as_str().to_owned()))
    .bind(table.table.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| WarehouseError::Query(describe(&e)))?;
    if rows.is_empty() {
        return Err(WarehouseError::NoTable(table.to_string()));
    }
    let type_of = |column: &str| {
        rows.iter()
            .find(|r| r.get::<String, _>("name") == column)
            .map(|r| r.get::<String, _>("type"))
    };
    let mut time_kind = TimeKind::Seconds;
    for (role, column) in layout.columns.all() {
        let found = type_of(column.as_str()).ok_or_else(|| WarehouseError::NoColumn {
            table: table.to_string(),
            role,
            column: column.to_string(),
        })?;
        let (ok, expected) = match role {
            "time" => match found.as_str() {
                "bigint" | "integer" | "smallint" | "numeric" | "double precision" | "real" => {
                    (true, "")
                }
                "timestamp with time zone" => {
                    time_kind = TimeKind::Timestamp;
                    (true, "")
                }
                "timestamp without time zone" => {
                    time_kind = TimeKind::LocalTimestamp;
                    (true, "")
                }
                _ => (false, "bigint (unix seconds) or timestamptz"),
            },
            "properties" => (
                matches!(found.as_str(), "jsonb" | "json" | "text"),
                "jsonb (or json, or text holding JSON)",
            ),
            _ => (
                matches!(found.as_str(), "text" | "character varying" | "character"),
                "text",
            ),
        };
        if !ok {
            return Err(WarehouseError::ColumnType {
                role,
                column: column.to_string(),
                found,
                expected,
            });
        }
    }
    Ok(time_kind)
}

/// A read-only transaction that the warehouse stops after `timeout`.
async fn read_only(
    conn: &mut PgConnection,
    timeout: Duration,
) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, WarehouseError> {
    let query_error = |e: sqlx::Error| WarehouseError::Query(describe(&e));
    let mut tx = conn.begin().await.map_err(query_error)?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(query_error)?;
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", timeout.as_millis()))
        .execute(&mut *tx)
        .await
        .map_err(query_error)?;
    Ok(tx)
}

/// What "test connection" found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub time_kind: TimeKind,
    /// Events with a time in the last 24 hours before `now`.
    pub events_last_day: i64,
    /// The newest event's time (unix seconds), if any.
    pub latest: Option<i64>,
}

/// Connects, checks the table and columns, and counts the last day's events.
pub async fn probe(target: &Target<'_>, now: i64) -> Result<Probe, WarehouseError> {
    let mut conn = target.connect().await?;
    let time_kind = inspect(&mut conn, target.layout).await?;
    let d = Postgres;
    use crate::warehouse::dialect::Dialect as _;
    // On the bare column, so an index on it answers both without a scan.
    let time = d.quote(&target.layout.columns.time);
    let sql = format!(
        "SELECT (SELECT count(*) FROM {table} WHERE {} AND {}), (SELECT {} FROM (SELECT max({time}) AS {time} FROM {table}) m)",
        d.time_at_least(&time, time_kind, "$1::bigint"),
        d.time_before(&time, time_kind, "$2::bigint"),
        d.seconds(&time, time_kind),
        table = d.table(&target.layout.table)
    );
    let mut tx = read_only(&mut conn, target.timeout).await?;
    let row = sqlx::query(&sql)
        .bind(now - 86_400)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| query_failed(&e, target.timeout))?;
    Ok(Probe {
        time_kind,
        events_last_day: row.get(0),
        latest: row.get(1),
    })
}

fn query_failed(e: &sqlx::Error, timeout: Duration) -> WarehouseError {
    match e {
        // 57014: query_canceled, which is how a statement timeout ends.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            WarehouseError::TimedOut(timeout.as_secs())
        }
        other => WarehouseError::Query(describe(other)),
    }
}

/// Runs the attribution of `config` in the warehouse over rows with a time in `scan` (None: the
/// whole table) and reads the report back. `cancel` turning true stops the query in the
/// warehouse (`pg_cancel_backend`), not only here.
pub async fn attribute(
    target: &Target<'_>,
    config: &Config,
    scan: Option<(i64, i64)>,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Report, WarehouseError> {
    let mut conn = target.connect().await?;
    let time_kind = inspect(&mut conn, target.layout).await?;
    let query = build(config, target.layout, time_kind, scan, &Postgres)?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| WarehouseError::Query(describe(&e)))?;
    let mut tx = read_only(&mut conn, target.timeout).await?;
    // The planner cannot see through the JSON conditions and estimates a handful of rows per
    // step, then picks nested loops that rescan a CTE per user (55 s instead of 0.3 s on 100k
    // events). Every join here is large; hash and merge joins are always the right plan.
    sqlx::query("SELECT set_config('enable_nestloop', 'off', true)")
        .execute(&mut *tx)
        .await
        .map_err(|e| WarehouseError::Query(describe(&e)))?;
    // Its sorts and hashes hold a row per exposed user: room for them in memory (256 MB per
    // step, for this transaction only; a warehouse already set higher keeps its setting) is
    // 15% faster than PostgreSQL's default 4 MB, which spills them to disk.
    sqlx::query(
        "SELECT set_config('work_mem', '256MB', true) \
         WHERE pg_size_bytes(current_setting('work_mem')) < 268435456",
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| WarehouseError::Query(describe(&e)))?;
    let mut statement = sqlx::query(&query.sql);
    for bind in &query.binds {
        statement = match bind {
            Bind::Text(s) | Bind::Numeric(s) => statement.bind(s.clone()),
            Bind::BigInt(n) => statement.bind(*n),
            Bind::Texts(list) => statement.bind(list.clone()),
        };
    }
    let run = statement.fetch_all(&mut *tx);
    let rows = tokio::select! {
        rows = run => rows.map_err(|e| query_failed(&e, target.timeout))?,
        _ = cancelled(cancel) => {
            stop(target, pid).await;
            return Err(WarehouseError::Cancelled);
        }
    };
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            kind: r.get("kind"),
            experiment: r.get("experiment"),
            arm: r.get("arm"),
            seg: r.get("seg"),
            seg_value: r.get("seg_value"),
            n: r.get("n"),
            nums: r.get::<Option<Vec<String>>, _>("nums").unwrap_or_default(),
        })
        .collect();
    tx.rollback()
        .await
        .map_err(|e| WarehouseError::Query(describe(&e)))?;
    Ok(report(&query.shape, &rows)?)
}

/// Resolves once `cancel` is true (never, if its sender is gone).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|&c| c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Asks the warehouse to stop the backend's running statement, from a second connection.
async fn stop(target: &Target<'_>, pid: i32) {
    if let Ok(mut conn) = target.connect().await {
        let stopped = sqlx::query("SELECT pg_cancel_backend($1)")
            .bind(pid)
            .execute(&mut conn)
            .await;
        if let Err(e) = stopped {
            tracing::warn!(error = %describe(&e), "could not cancel the warehouse query");
        }
    }
}

#[cfg(test)]
#[path = "warehouse_test_pg.rs"]
mod test_pg;
#[cfg(test)]
#[path = "warehouse_tests.rs"]
mod tests;
