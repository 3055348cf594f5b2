//! The audit log's table: when, who, action, what, and each changed field old → new.

use leptos::prelude::*;

use crate::components::format::timestamp;
use crate::domain::audit::{AuditEntry, AuditFilterForm, Change, ChangeKind};

/// More changed fields than this fold into a "show all" disclosure (a new brief has dozens).
const SHOWN: usize = 6;

#[component]
pub fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <table class="audit">
            <thead>
                <tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"What"</th><th>"Changes"</th></tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|e| view! { <AuditRow entry=e /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let kind = entry.kind;
    let only_this = AuditFilterForm {
        entity: entry.entity_key.clone(),
        ..Default::default()
    };
    let filter_by = format!("/admin/audit?{}", only_this.to_query_string());
    let mut changes = entry.changes;
    let rest = if changes.len() > SHOWN {
        changes.split_off(SHOWN)
    } else {
        Vec::new()
    };
    let list = |changes: Vec<Change>| {
        view! {
            <ul class="changes">
                {changes.into_iter().map(|c| view! { <ChangeLine change=c kind /> }).collect_view()}
            </ul>
        }
    };
    view! {
        <tr data-id=entry.id>
            <td class="when">{timestamp(entry.at)}</td>
            <td>{entry.actor}</td>
            <td>{entry.action}</td>
            <td>
                {entry.entity_type}" "
                <a href=filter_by title="only this record">{entry.entity_key}</a>
                <span class="muted">{format!(" ({})", kind.label())}</span>
            </td>
            <td>
                {list(changes)}
                {(!rest.is_empty()).then(|| view! {
                    <details>
                        <summary>{format!("{} more fields", rest.len())}</summary>
                        {list(rest)}
                    </details>
                })}
            </td>
        </tr>
    }
}

#[component]
fn ChangeLine(change: Change, kind: ChangeKind) -> impl IntoView {
    let show = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let values = match kind {
        ChangeKind::Created => view! { <span class="new">{show(change.after)}</span> }.into_any(),
        ChangeKind::Deleted => view! { <del>{show(change.before)}</del> }.into_any(),
        ChangeKind::Changed => view! {
            <del>{show(change.before)}</del>" → "<span class="new">{show(change.after)}</span>
        }
        .into_any(),
    };
    view! { <li><code>{change.field}</code>": "{values}</li> }
}
