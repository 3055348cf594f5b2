//! Loading a Mixpanel export (newline-delimited JSON) into a warehouse table in the layout a
//! Mixpanel JSON pipeline lands: `event, time, distinct_id, insert_id, properties`. For trying
//! the warehouse source on a file, for the benchmark and for the tests; a real pipeline fills
//! the table itself.
//!
//! Rows go in through `COPY ... FROM STDIN` (text format) in 1 MiB batches, so memory stays flat
//! whatever the file size. `properties` is copied as the exact JSON text of the line (no float
//! round trip: `12.50` stays `12.50`), and `time`, `distinct_id` and `$insert_id` are read out
//! of it into their columns as the pipeline does.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::postgres::PgConnection;

use super::warehouse::WarehouseError;
use crate::warehouse::dialect::{Dialect, Postgres};
use crate::warehouse::layout::Layout;

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loaded {
    pub rows: u64,
    /// Lines that are not a JSON object with `properties` (a pipeline would not land them).
    pub skipped: u64,
}

#[derive(Deserialize)]
struct Line<'a> {
    event: Option<Value>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Keys {
    time: Option<Value>,
    distinct_id: Option<Value>,
    #[serde(rename = "$insert_id")]
    insert_id: Option<Value>,
}

/// A JSON scalar as the export's text: strings decoded, numbers and booleans as written.
fn scalar_text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn seconds(value: Option<Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.abs() < 4.6e18)
                .map(|f| f.floor() as i64)
        }),
        _ => None,
    }
}

/// Appends one field in COPY's text format.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for &b in value.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

/// One export line as a COPY row, or None when it is not an event at all.
fn row(line: &str, out: &mut Vec<u8>) -> Option<()> {
    let parsed: Line = serde_json::from_str(line).ok()?;
    let properties = parsed.properties?;
    let keys: Keys = serde_json::from_str(properties.get()).ok()?;
    let event = scalar_text(parsed.event);
    field(out, event.as_deref());
    out.push(b'\t');
    field(out, seconds(keys.time).map(|t| t.to_string()).as_deref());
    out.push(b'\t');
    field(out, scalar_text(keys.distinct_id).as_deref());
    out.push(b'\t');
    field(out, scalar_text(keys.insert_id).as_deref());
    out.push(b'\t');
    field(out, Some(properties.get()));
    out.push(b'\n');
    Some(())
}

/// The five columns, quoted, in the order rows are written.
fn quoted_columns(layout: &Layout) -> Vec<String> {
    layout
        .columns
        .all()
        .iter()
        .map(|(_, column)| Postgres.quote(column))
        .collect()
}

/// Creates the table in the pipeline layout when it does not exist (`time` as unix seconds).
pub async fn create_table(conn: &mut PgConnection, layout: &Layout) -> Result<(), WarehouseError> {
    let types = ["text", "bigint", "text", "text", "jsonb"];
    let columns: Vec<String> = quoted_columns(layout)
        .iter()
        .zip(types)
        .map(|(column, kind)| format!("{column} {kind}"))
        .collect();
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        Postgres.table(&layout.table),
        columns.join(", ")
    );
    sqlx::query(&sql)
        .execute(conn)
        .await
        .map_err(|e| WarehouseError::Query(e.to_string()))?;
    Ok(())
}

/// Removes every row of the table (`warehouse load --replace`).
pub async fn empty_table(conn: &mut PgConnection, layout: &Layout) -> Result<(), WarehouseError> {
    let sql = format!("TRUNCATE {}", Postgres.table(&layout.table));
    sqlx::query(&sql)
        .execute(conn)
        .await
        .map_err(|e| WarehouseError::Query(e.to_string()))?;
    Ok(())
}

/// Copies every line of `input` into the table.
pub async fn load(
    conn: &mut PgConnection,
    layout: &Layout,
    input: impl BufRead,
) -> Result<Loaded, WarehouseError> {
    let statement = format!(
        "COPY {} ({}) FROM STDIN",
        Postgres.table(&layout.table),
        quoted_columns(layout).join(", ")
    );
    let failed = |e: sqlx::Error| WarehouseError::Query(e.to_string());
    let mut copy = conn.copy_in_raw(&statement).await.map_err(failed)?;
    let mut loaded = Loaded::default();
    let mut batch = Vec::with_capacity(1 << 20);
    for line in input.lines() {
        let line = line.map_err(|e| WarehouseError::Query(format!("reading the export: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        match row(&line, &mut batch) {
            Some(()) => loaded.rows += 1,
            None => loaded.skipped += 1,
        }
        if batch.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut batch))
                .await
                .map_err(failed)?;
            batch.reserve(1 << 20);
        }
    }
    if !batch.is_empty() {
        copy.send(batch).await.map_err(failed)?;
    }
    copy.finish().await.map_err(failed)?;
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_becomes_a_copy_row_with_its_exact_properties() {
        let mut out = Vec::new();
        row(
            r#"{"event":"purchase","properties":{"time":1714521600.9,"distinct_id":"u\t1","$insert_id":"a\\b","amount":12.50}}"#,
            &mut out,
        )
        .expect("an event");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "purchase\t1714521600\tu\\t1\ta\\\\b\t{\"time\":1714521600.9,\"distinct_id\":\"u\\\\t1\",\"$insert_id\":\"a\\\\\\\\b\",\"amount\":12.50}\n"
        );
        let mut out = Vec::new();
        assert!(row("not json", &mut out).is_none());
        row(r#"{"event":"x","properties":{"distinct_id":7}}"#, &mut out).expect("an event");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "x\t\\N\t7\t\\N\t{\"distinct_id\":7}\n"
        );
    }
}
