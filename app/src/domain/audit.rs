//! The audit log as people read it: which fields a write changed, from what to what, and the
//! filters of the admin page. The database stores each write's row before and after as JSON
//! objects; `diff` turns the pair into the list the page and the CSV export show.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::experiment::FieldError;

/// One field a write changed. `None` means absent or null (a created row has no before, a
/// deleted one no after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Flattened path: `title`, `brief.decision_rule.alpha`, `brief.arms[1].share`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What a write did to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Changed,
    Deleted,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Changed => "changed",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// One row of the log, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub action: String,
    /// The table written: experiment, snapshot, review, triage, mixpanel_source, …
    pub entity_type: String,
    /// What a person searches by: the experiment key, the ISO week, the email, …
    pub entity_key: String,
    pub kind: ChangeKind,
    pub changes: Vec<Change>,
}

/// One page of the log with what the filter form's menus offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The cursor for the next (older) page, when there is one.
    pub older: Option<i64>,
    pub actors: Vec<String>,
    pub actions: Vec<String>,
}

/// The admin page's filter form, as typed (GET query parameters; every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilterForm {
    pub actor: String,
    pub action: String,
    pub entity: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    pub to: String,
    /// Free text, matched in the key, the actor and the before/after values.
    pub q: String,
    /// Keyset paging: show entries older than this id (the "older" link).
    pub before: String,
}

/// The filters, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub q: Option<String>,
    pub before: Option<i64>,
}

impl AuditFilterForm {
    /// Every problem, by field. Blank fields mean "any".
    pub fn parse(&self) -> Result<AuditQuery, Vec<FieldError>> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut errors = Vec::new();
        let mut date = |field: &str, raw: &str| match text(raw) {
            None => None,
            Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| {
                    errors.push(FieldError::new(
                        field,
                        format!("'{s}' is not a date (YYYY-MM-DD)"),
                    ))
                })
                .ok(),
        };
        let from = date("from", &self.from);
        let to = date("to", &self.to);
        let before = match text(&self.before) {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.push(FieldError::new("before", "not a page of the log"));
                    None
                }
            },
        };
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.push(FieldError::new(
                    "to",
                    "the end date is before the start date",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AuditQuery {
            actor: text(&self.actor),
            action: text(&self.action),
            entity: text(&self.entity),
            from,
            to,
            q: text(&self.q),
            before,
        })
    }

    /// The same filters as a query string (for the CSV link and the paging links), without the
    /// page cursor.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("entity", &self.entity),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ];
        super::url::query_string(pairs.map(|(k, v)| (k, v.as_str())))
    }
}

/// What a write did, from which sides exist.
pub fn kind(before: Option<&Value>, after: Option<&Value>) -> ChangeKind {
    match (before, after) {
        (None, _) => ChangeKind::Created,
        (Some(_), None) => ChangeKind::Deleted,
        (Some(_), Some(_)) => ChangeKind::Changed,
    }
}

/// The fields that differ between two row images, in path order. Nested objects (the brief)
/// are flattened to dotted paths; arrays of objects (arms, guardrails) by index; arrays of plain
/// values (tags) compare whole, since a list of words reads best as one value.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let flat = |v: Option<&Value>| {
        let mut out = BTreeMap::new();
        if let Some(v) = v {
            flatten("", v, &mut out);
        }
        out
    };
    let (old, new) = (flat(before), flat(after));
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|field| {
            let before = old.get(field).cloned().flatten();
            let after = new.get(field).cloned().flatten();
            (before != after).then(|| Change {
                field: field.clone(),
                before,
                after,
            })
        })
        .collect()
}

/// Leaves by path; null, "" and [] are `None`, so "absent", "null" and "empty" read the same.
fn flatten(path: &str, v: &Value, out: &mut BTreeMap<String, Option<String>>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), item, out);
            }
        }
        Value::Null => {
            out.insert(path.to_owned(), None);
        }
        Value::Array(items) if items.is_empty() => {
            out.insert(path.to_owned(), None);
        }
        Value::String(s) if s.is_empty() => {
            out.insert(path.to_owned(), None);
        }
        other => {
            out.insert(path.to_owned(), Some(show(other)));
        }
    }
}

/// A leaf as a person reads it: strings without quotes, lists as `a, b`.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Object(_) => "{}".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(field: &str, before: Option<&str>, after: Option<&str>) -> Change {
        Change {
            field: field.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    #[test]
    fn only_changed_fields_are_listed_with_old_and_new_values() {
        let before =
            json!({"title": "Old", "team": "Checkout", "archived": false, "summary": null});
        let after = json!({"title": "New", "team": "Checkout", "archived": true, "summary": "won"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            [
                change("archived", Some("false"), Some("true")),
                change("summary", None, Some("won")),
                change("title", Some("Old"), Some("New")),
            ]
        );
    }

    #[test]
    fn nested_brief_fields_are_flattened_with_dotted_paths_and_indexes() {
        let before = json!({"brief": {
            "decision_rule": {"alpha": 0.05, "min_lift": 0.02},
            "arms": [{"name": "control", "share": 50}, {"name": "b", "share": 50}],
        }});
        let after = json!({"brief": {
            "decision_rule": {"alpha": 0.01, "min_lift": 0.02},
            "arms": [{"name": "control", "share": 40}, {"name": "b", "share": 60}],
            "notes": "why",
        }});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            [
                change("brief.arms[0].share", Some("50"), Some("40")),
                change("brief.arms[1].share", Some("50"), Some("60")),
                change("brief.decision_rule.alpha", Some("0.05"), Some("0.01")),
                change("brief.notes", None, Some("why")),
            ]
        );
    }

    #[test]
    fn lists_of_plain_values_compare_whole() {
        let before = json!({"tags": ["checkout"]});
        let after = json!({"tags": ["checkout", "mobile"]});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            [change("tags", Some("checkout"), Some("checkout, mobile"))]
        );
    }

    #[test]
    fn a_created_row_lists_its_set_fields_and_a_deleted_row_its_old_ones() {
        let row = json!({"key": "abc", "summary": null, "brief": {}});
        assert_eq!(kind(None, Some(&row)), ChangeKind::Created);
        assert_eq!(
            diff(None, Some(&row)),
            [
                change("brief", None, Some("{}")),
                change("key", None, Some("abc"))
            ],
            "null fields of a new row are not changes"
        );
        assert_eq!(kind(Some(&row), None), ChangeKind::Deleted);
        assert_eq!(diff(Some(&row), None)[1], change("key", Some("abc"), None));
    }

    #[test]
    fn identical_rows_have_no_changes() {
        let row = json!({"brief": {"arms": [{"name": "a"}]}, "tags": []});
        assert!(diff(Some(&row), Some(&row)).is_empty());
    }

    #[test]
    fn the_filter_form_parses_blank_as_any_and_names_bad_fields() {
        assert_eq!(
            AuditFilterForm::default().parse(),
            Ok(AuditQuery::default())
        );
        let form = AuditFilterForm {
            actor: " Ana ".into(),
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            before: "42".into(),
            ..Default::default()
        };
        let q = form.parse().unwrap();
        assert_eq!(q.actor.as_deref(), Some("Ana"));
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(q.before, Some(42));
        let bad = AuditFilterForm {
            from: "yesterday".into(),
            before: "x".into(),
            ..Default::default()
        };
        let fields: Vec<_> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["from", "before"]);
        let backwards = AuditFilterForm {
            from: "2026-11-30".into(),
            to: "2026-11-01".into(),
            ..Default::default()
        };
        assert_eq!(backwards.parse().unwrap_err()[0].field, "to");
    }

    #[test]
    fn the_query_string_keeps_set_filters_encoded() {
        let form = AuditFilterForm {
            actor: "Ana Lopez".into(),
            q: "a&b".into(),
            before: "9".into(),
            ..Default::default()
        };
        assert_eq!(form.to_query_string(), "actor=Ana%20Lopez&q=a%26b");
    }
}
