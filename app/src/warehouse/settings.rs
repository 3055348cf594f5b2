//! The warehouse source as the settings page edits it. The connection URL holds the password,
//! so it is write-only: the page sees whether one is set and where it points (host, port and
//! database, never the user or password).

use serde::{Deserialize, Serialize};

use super::layout::{Columns, Layout, LayoutError, TableName};
use crate::domain::experiment::FieldError;
use crate::pull::settings::Secret;

/// Longest accepted URL (a URL with TLS options is a few hundred characters).
const MAX_URL_CHARS: usize = 2_000;
pub const DEFAULT_TIMEOUT_SECS: u32 = 600;
/// Six hours: a query past this is a table that needs an index or a partition, not patience.
pub const MAX_TIMEOUT_SECS: u32 = 21_600;

/// Settings that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct WarehouseSettings {
    pub url: Secret,
    pub layout: Layout,
    pub timeout_secs: u32,
    /// Whether "Pull now" and the schedule read the warehouse instead of Mixpanel's API.
    pub use_for_pulls: bool,
}

impl WarehouseSettings {
    pub fn view(&self) -> WarehouseView {
        let c = &self.layout.columns;
        WarehouseView {
            configured: true,
            url_set: true,
            url_hint: where_it_points(self.url.expose()),
            form: WarehouseForm {
                url: String::new(),
                table: self.layout.table.to_string(),
                event: c.event.to_string(),
                time: c.time.to_string(),
                distinct_id: c.distinct_id.to_string(),
                insert_id: c.insert_id.to_string(),
                properties: c.properties.to_string(),
                timeout_secs: self.timeout_secs.to_string(),
                use_for_pulls: self.use_for_pulls,
            },
        }
    }
}

/// `postgres://HOST:PORT/DATABASE` of a URL, without its user and password.
pub fn where_it_points(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let rest = rest.split('?').next().unwrap_or_default();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}/{path}")
}

/// What the settings page shows and edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarehouseView {
    pub configured: bool,
    pub url_set: bool,
    /// Host, port and database of the stored URL.
    pub url_hint: String,
    pub form: WarehouseForm,
}

impl Default for WarehouseView {
    fn default() -> Self {
        let c = Columns::default();
        Self {
            configured: false,
            url_set: false,
            url_hint: String::new(),
            form: WarehouseForm {
                url: String::new(),
                table: String::new(),
                event: c.event.to_string(),
                time: c.time.to_string(),
                distinct_id: c.distinct_id.to_string(),
                insert_id: c.insert_id.to_string(),
                properties: c.properties.to_string(),
                timeout_secs: DEFAULT_TIMEOUT_SECS.to_string(),
                use_for_pulls: true,
            },
        }
    }
}

/// The form as typed. An empty URL keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WarehouseForm {
    pub url: String,
    pub table: String,
    pub event: String,
    pub time: String,
    pub distinct_id: String,
    pub insert_id: String,
    pub properties: String,
    pub timeout_secs: String,
    pub use_for_pulls: bool,
}

impl WarehouseForm {
    /// Checks every field, reporting all problems at once; `stored` is what was saved before.
    pub fn parse(
        &self,
        stored: Option<&WarehouseSettings>,
    ) -> Result<WarehouseSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = match (self.url.trim(), stored) {
            ("", Some(stored)) => Some(stored.url.clone()),
            ("", None) => {
                errors.push(FieldError::new(
                    "url",
                    "the connection URL is required: postgres://USER:PASSWORD@HOST:PORT/DATABASE",
                ));
                None
            }
            (typed, _) if typed.chars().count() > MAX_URL_CHARS => {
                errors.push(FieldError::new(
                    "url",
                    format!("the connection URL is at most {MAX_URL_CHARS} characters"),
                ));
                None
            }
            (typed, _)
                if !(typed.starts_with("postgres://") || typed.starts_with("postgresql://")) =>
            {
                errors.push(FieldError::new(
                    "url",
                    "the connection URL starts with postgres:// (PostgreSQL; other warehouses are not supported yet)",
                ));
                None
            }
            (typed, _) => Some(Secret::new(typed.to_owned())),
        };
        let mut field = |name: &'static str, result: Result<(), LayoutError>| {
            if let Err(e) = result {
                errors.push(FieldError::new(name, e.to_string()));
            }
        };
        let table = TableName::parse(&self.table);
        let mut columns = Columns::default();
        for (role, value) in [
            ("event", &self.event),
            ("time", &self.time),
            ("distinct_id", &self.distinct_id),
            ("insert_id", &self.insert_id),
            ("properties", &self.properties),
        ] {
            field(role, columns.set(role, value.trim()));
        }
        let table = match table {
            Ok(table) => Some(table),
            Err(e) => {
                errors.push(FieldError::new("table", e.to_string()));
                None
            }
        };
        let timeout_secs = match self.timeout_secs.trim() {
            "" => DEFAULT_TIMEOUT_SECS,
            raw => match raw.parse::<u32>() {
                Ok(s) if (10..=MAX_TIMEOUT_SECS).contains(&s) => s,
                _ => {
                    errors.push(FieldError::new(
                        "timeout_secs",
                        format!("the query time limit is 10 to {MAX_TIMEOUT_SECS} seconds"),
                    ));
                    DEFAULT_TIMEOUT_SECS
                }
            },
        };
        match (url, table) {
            (Some(url), Some(table)) if errors.is_empty() => Ok(WarehouseSettings {
                url,
                layout: Layout { table, columns },
                timeout_secs,
                use_for_pulls: self.use_for_pulls,
            }),
            _ => Err(errors),
        }
    }
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeView {
    pub table: String,
    /// "unix seconds" or "timestamp".
    pub time_kind: String,
    pub events_last_day: i64,
    /// The newest event's time, as UTC text.
    pub latest: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_shown_without_its_credentials() {
        assert_eq!(
            where_it_points("postgres://analyst:s3cret@db.internal:5432/analytics?sslmode=require"),
            "postgres://db.internal:5432/analytics"
        );
        assert_eq!(where_it_points("postgresql://h/db"), "postgresql://h/db");
    }

    #[test]
    fn every_problem_is_reported_and_names_are_checked() {
        let form = WarehouseForm {
            url: "mysql://x".into(),
            table: "events; DROP TABLE x".into(),
            event: "event".into(),
            time: "ti\"me".into(),
            distinct_id: "distinct_id".into(),
            insert_id: "insert_id".into(),
            properties: "properties".into(),
            timeout_secs: "5".into(),
            use_for_pulls: true,
        };
        let errors = form.parse(None).expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "time", "table", "timeout_secs"]);
    }

    #[test]
    fn an_empty_url_keeps_the_stored_one() {
        let mut form = WarehouseView::default().form;
        form.url = "postgres://u:p@h:5432/db".into();
        form.table = "analytics.mp_events".into();
        let saved = form.parse(None).expect("valid");
        form.url.clear();
        let again = form.parse(Some(&saved)).expect("valid");
        assert_eq!(again.url.expose(), "postgres://u:p@h:5432/db");
        assert_eq!(again.layout.table.to_string(), "analytics.mp_events");
    }
}
