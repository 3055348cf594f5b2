//! The audit log `/admin/audit` (admins): every write with who, when, what and the changed
//! fields, filtered by the URL's query (a plain GET form, so it works before hydration), paged
//! newest first, and downloadable as CSV with the same filters.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::components::audit_table::AuditTable;
use crate::components::error_view::ErrorView;
use crate::domain::audit::{AuditFilterForm, AuditPage};

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let params = use_query_map();
    let filter = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        AuditFilterForm {
            actor: get("actor"),
            action: get("action"),
            entity: get("entity"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            before: get("before"),
        }
    });
    let page = crate::pages::resource(move || filter.get(), list_audit);
    view! {
        <Title text="Audit log" />
        <Transition fallback=|| view! { <p class="loading">"Loading the log…"</p> }>
            {move || Suspend::new(async move {
                let f = filter.get_untracked();
                match page.await {
                    Ok(page) => view! { <AuditLog page filter=f /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditLog(page: AuditPage, filter: AuditFilterForm) -> impl IntoView {
    let query = filter.to_query_string();
    let with = |extra: String| {
        let joined = [query.clone(), extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if joined.is_empty() {
            String::new()
        } else {
            format!("?{joined}")
        }
    };
    let csv = format!("/admin/audit.csv{}", with(String::new()));
    let newest =
        (!filter.before.is_empty()).then(|| format!("/admin/audit{}", with(String::new())));
    let older = page
        .older
        .map(|id| format!("/admin/audit{}", with(format!("before={id}"))));
    let filtered = !query.is_empty();
    let action = filter.action.clone();
    view! {
        <div class="board-head">
            <h1>"Audit log"</h1>
            <Form method="GET" action="/admin/audit" attr:class="filters">
                <label>"Who"
                    <input name="actor" list="audit-actors" value=filter.actor.clone() />
                    <datalist id="audit-actors">
                        {page.actors.into_iter().map(|a| view! { <option value=a /> }).collect_view()}
                    </datalist>
                </label>
                <label>"Action"
                    <select name="action">
                        <option value="" selected=action.is_empty()>"All"</option>
                        {page.actions.into_iter().map(|a| {
                            let selected = a == action;
                            view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Record"
                    <input name="entity" value=filter.entity.clone() placeholder="experiment key, week, email" />
                </label>
                <label>"From" <input type="date" name="from" value=filter.from.clone() /></label>
                <label>"To" <input type="date" name="to" value=filter.to.clone() /></label>
                <label>"Search" <input type="search" name="q" value=filter.q.clone() placeholder="any value before or after" /></label>
                <button type="submit">"Filter"</button>
                {filtered.then(|| view! { <a href="/admin/audit" class="clear">"Clear"</a> })}
            </Form>
        </div>
        <p class="muted" role="status">
            {if page.entries.is_empty() {
                "No entries match.".to_string()
            } else {
                format!("{} entries, newest first", page.entries.len())
            }}
            " · " <a href=csv download="audit.csv">"Download CSV"</a>
        </p>
        <AuditTable entries=page.entries />
        <nav class="pager">
            {newest.map(|href| view! { <a href=href>"← Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
        </nav>
    }
}
