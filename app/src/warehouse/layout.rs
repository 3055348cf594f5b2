//! Where the events are: the table and its five columns, as names that are checked once and
//! then only ever quoted, never spliced as typed.
//!
//! A name is letters, digits and `_`, starting with a letter or `_`, at most 63 bytes (the
//! PostgreSQL limit; Redshift's is 127). That refuses every quote, space, dot, semicolon and
//! comment marker, so a quoted name can never close its quotes. Names are case-sensitive as
//! written: they are always quoted.

use std::fmt;

use thiserror::Error;

/// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1).
const MAX_IDENT_BYTES: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LayoutError {
    #[error("the {what} `{value}` is not a plain name: use letters, digits and _ (starting with a letter or _), at most {MAX_IDENT_BYTES} characters; quotes, spaces, dots and other SQL are refused")]
    BadName { what: &'static str, value: String },
    #[error("the table is written TABLE or SCHEMA.TABLE, got `{0}`")]
    BadTable(String),
    #[error("unknown column role `{0}` in --columns: expected event, time, distinct_id, insert_id or properties")]
    UnknownRole(String),
    #[error("--columns is a comma-separated list of ROLE=COLUMN, got `{0}`")]
    BadColumns(String),
}

/// A checked SQL identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn parse(what: &'static str, value: &str) -> Result<Self, LayoutError> {
        let bad = || LayoutError::BadName {
            what,
            value: value.chars().take(80).collect(),
        };
        let mut bytes = value.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !first_ok || !rest_ok || value.len() > MAX_IDENT_BYTES {
            return Err(bad());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `table` or `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<Ident>,
    pub table: Ident,
}

impl TableName {
    pub fn parse(value: &str) -> Result<Self, LayoutError> {
        let value = value.trim();
        let parts: Vec<&str> = value.split('.').collect();
        match parts.as_slice() {
            [table] => Ok(Self {
                schema: None,
                table: Ident::parse("table name", table)?,
            }),
            [schema, table] => Ok(Self {
                schema: Some(Ident::parse("schema name", schema)?),
                table: Ident::parse("table name", table)?,
            }),
            _ => Err(LayoutError::BadTable(value.chars().take(80).collect())),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.table),
            None => write!(f, "{}", self.table),
        }
    }
}

/// The columns attribution reads, named as in Mixpanel's JSON pipeline export by default:
/// `event text, time bigint (unix seconds) or timestamptz, distinct_id text, insert_id text,
/// properties jsonb` (the whole properties object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub event: Ident,
    pub time: Ident,
    pub distinct_id: Ident,
    pub insert_id: Ident,
    pub properties: Ident,
}

impl Default for Columns {
    fn default() -> Self {
        let name = |n: &str| Ident(n.to_owned());
        Self {
            event: name("event"),
            time: name("time"),
            distinct_id: name("distinct_id"),
            insert_id: name("insert_id"),
            properties: name("properties"),
        }
    }
}

impl Columns {
    /// The defaults with `event=ev,time=ts,...` applied (any subset, any order).
    pub fn parse(spec: &str) -> Result<Self, LayoutError> {
        let mut columns = Self::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (role, name) = part
                .split_once('=')
                .ok_or_else(|| LayoutError::BadColumns(spec.chars().take(200).collect()))?;
            columns.set(role.trim(), name.trim())?;
        }
        Ok(columns)
    }

    /// Sets one column by its role name.
    pub fn set(&mut self, role: &str, name: &str) -> Result<(), LayoutError> {
        let (slot, what) = match role {
            "event" => (&mut self.event, "event column"),
            "time" => (&mut self.time, "time column"),
            "distinct_id" => (&mut self.distinct_id, "distinct_id column"),
            "insert_id" => (&mut self.insert_id, "insert_id column"),
            "properties" => (&mut self.properties, "properties column"),
            other => return Err(LayoutError::UnknownRole(other.chars().take(40).collect())),
        };
        *slot = Ident::parse(what, name)?;
        Ok(())
    }

    /// `(role, column)` in the documented order.
    pub fn all(&self) -> [(&'static str, &Ident); 5] {
        [
            ("event", &self.event),
            ("time", &self.time),
            ("distinct_id", &self.distinct_id),
            ("insert_id", &self.insert_id),
            ("properties", &self.properties),
        ]
    }
}

/// How the time column stores an instant, read from the warehouse's catalog before a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// A number of unix seconds (integer, bigint, numeric, double); fractions are floored.
    Seconds,
    /// `timestamptz`.
    Timestamp,
    /// `timestamp` without a zone, read as UTC.
    LocalTimestamp,
}

/// The table and its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub table: TableName,
    pub columns: Columns,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_or_sql_are_refused() {
        for bad in [
            "events\"; DROP TABLE x; --",
            "events'",
            "my events",
            "1events",
            "ev;ents",
            "",
            "ev--",
            "ev/*",
            "é",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(
                    Ident::parse("table name", bad),
                    Err(LayoutError::BadName { .. })
                ),
                "{bad:?} must be refused"
            );
        }
        assert!(Ident::parse("table name", "mp_events_2024").is_ok());
        assert!(Ident::parse("table name", "_Events").is_ok());
    }

    #[test]
    fn tables_take_one_optional_schema() {
        let t = TableName::parse("analytics.mp_events").expect("valid");
        assert_eq!(t.schema.as_ref().map(Ident::as_str), Some("analytics"));
        assert_eq!(t.to_string(), "analytics.mp_events");
        assert!(matches!(
            TableName::parse("a.b.c"),
            Err(LayoutError::BadTable(_))
        ));
        assert!(TableName::parse("a.\"b\"").is_err());
    }

    #[test]
    fn columns_override_the_pipeline_defaults() {
        let c = Columns::parse("time=ts, properties=props").expect("valid");
        assert_eq!(c.time.as_str(), "ts");
        assert_eq!(c.properties.as_str(), "props");
        assert_eq!(c.event.as_str(), "event");
        assert!(matches!(
            Columns::parse("user=uid"),
            Err(LayoutError::UnknownRole(_))
        ));
        assert!(matches!(
            Columns::parse("time"),
            Err(LayoutError::BadColumns(_))
        ));
        assert!(Columns::parse("time=t\" OR 1=1").is_err());
    }
}
