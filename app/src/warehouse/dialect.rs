//! The SQL that differs between warehouses, behind one small trait: quoting, placeholders, the
//! time column as unix seconds, and reading a property out of the JSON properties column. The
//! query generator (`query/`) writes everything else in plain SQL that PostgreSQL and
//! Redshift both run: CTEs, `CASE` inside aggregates (no `FILTER`), `bool_or`, window functions
//! (no `WINDOW` clause, no `DISTINCT ON`), `GROUPING SETS`, `UNION ALL`.
//!
//! A second dialect (ClickHouse, BigQuery, Snowflake) implements these functions for its JSON
//! type (e.g. Redshift's `json_extract_path_text`, BigQuery's `JSON_VALUE`, Snowflake's
//! `properties:key`) and its placeholders (`?`, `@p1`).

use super::layout::{Ident, TableName, TimeKind};

/// The warehouse's spelling of what attribution needs. Every argument that carries a value is
/// a placeholder the caller got from [`Dialect::placeholder`], never the value itself.
pub trait Dialect: Send + Sync {
    /// A name inside quotes. Names are already checked plain ([`Ident`]), so this cannot break out.
    fn quote(&self, ident: &Ident) -> String;

    fn table(&self, table: &TableName) -> String {
        match &table.schema {
            Some(schema) => format!("{}.{}", self.quote(schema), self.quote(&table.table)),
            None => self.quote(&table.table),
        }
    }

    /// The `n`-th bound value (1-based), typed: text, bigint, numeric or a text array.
    fn placeholder(&self, n: usize, kind: BindKind) -> String;

    /// The time column as whole unix seconds (floored), a bigint.
    fn seconds(&self, column: &str, kind: TimeKind) -> String;

    /// `column` is at or after the unix second in `at` (a bigint placeholder), written on the
    /// bare column so an index or partitioning on it narrows the scan.
    fn time_at_least(&self, column: &str, kind: TimeKind, at: &str) -> String;

    /// `column` is before the unix second in `at`, on the bare column.
    fn time_before(&self, column: &str, kind: TimeKind, at: &str) -> String;

    /// The properties column as the dialect's JSON object.
    fn properties(&self, column: &str) -> String;

    /// The JSON type of a property: `'string'`, `'number'`, `'boolean'`, or others/NULL.
    fn json_type(&self, props: &str, key: &str) -> String;

    /// A property's value as text: strings decoded, numbers and booleans as written.
    fn json_text(&self, props: &str, key: &str) -> String;

    /// A numeric property as an exact decimal (only called where its type is `'number'`).
    fn json_number(&self, props: &str, key: &str) -> String;

    /// `expr` is one of the values of a text array placeholder.
    fn any_of(&self, expr: &str, array: &str) -> String;

    /// The number of digits after the point of an exact decimal, trailing zeros dropped.
    fn scale(&self, expr: &str) -> String;
}

/// What a placeholder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Text,
    BigInt,
    Numeric,
    TextArray,
}

/// A unix second as a value of the time column's type.
fn instant(kind: TimeKind, at: &str) -> String {
    match kind {
        TimeKind::Seconds => at.to_owned(),
        TimeKind::Timestamp => format!("to_timestamp({at})"),
        TimeKind::LocalTimestamp => format!("(to_timestamp({at}) AT TIME ZONE 'UTC')"),
    }
}

/// PostgreSQL 13 and later (`trim_scale`), with the properties in `jsonb` (or `json`/text,
/// cast on read).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn quote(&self, ident: &Ident) -> String {
        // Plain names hold no `"`, so doubling is never needed; kept for defence in depth.
        format!("\"{}\"", ident.as_str().replace('"', "\"\""))
    }

    fn placeholder(&self, n: usize, kind: BindKind) -> String {
        match kind {
            BindKind::Text => format!("${n}::text"),
            BindKind::BigInt => format!("${n}::bigint"),
            BindKind::Numeric => format!("${n}::numeric"),
            BindKind::TextArray => format!("${n}::text[]"),
        }
    }

    fn seconds(&self, column: &str, kind: TimeKind) -> String {
        match kind {
            TimeKind::Seconds => format!("floor({column})::bigint"),
            TimeKind::Timestamp | TimeKind::LocalTimestamp => {
                format!("floor(extract(epoch from {column}))::bigint")
            }
        }
    }

    // floor(t) >= s exactly when t >= s, and floor(t) < e when t < e, for whole s and e.
    fn time_at_least(&self, column: &str, kind: TimeKind, at: &str) -> String {
        format!("{column} >= {}", instant(kind, at))
    }

    fn time_before(&self, column: &str, kind: TimeKind, at: &str) -> String {
        format!("{column} < {}", instant(kind, at))
    }

    fn properties(&self, column: &str) -> String {
        format!("({column})::jsonb")
    }

    fn json_type(&self, props: &str, key: &str) -> String {
        format!("jsonb_typeof({props} -> {key})")
    }

    fn json_text(&self, props: &str, key: &str) -> String {
        format!("({props} ->> {key})")
    }

    fn json_number(&self, props: &str, key: &str) -> String {
        format!("({props} ->> {key})::numeric")
    }

    fn any_of(&self, expr: &str, array: &str) -> String {
        format!("{expr} = ANY({array})")
    }

    fn scale(&self, expr: &str) -> String {
        format!("scale(trim_scale({expr}))")
    }
}
