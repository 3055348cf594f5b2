//! `/program/list?cohort=…`: the experiments behind one dashboard number, recomputed with the
//! dashboard's own code and filters, so the list always matches the number.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::program::{list_cohort, CohortList};
use crate::components::error_view::ErrorView;
use crate::components::format::date;
use crate::domain::program::ProgramQuery;
use crate::pages::program::program_query;

#[component]
pub fn ProgramListPage() -> impl IntoView {
    let params = use_query_map();
    let args = Memo::new(move |_| {
        let p = params.read();
        (program_query(&p), p.get("cohort").unwrap_or_default())
    });
    let list = crate::pages::resource(move || args.get(), |(q, c)| list_cohort(q, c));
    view! {
        <Title text="Program list" />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let query = args.get_untracked().0;
                match list.await {
                    Ok(list) => view! { <CohortTable list query /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CohortTable(list: CohortList, query: ProgramQuery) -> impl IntoView {
    let filters = query.to_query_string();
    let back = if filters.is_empty() {
        "/program".to_string()
    } else {
        format!("/program?{filters}")
    };
    let shown = |d: Option<chrono::NaiveDate>| d.map(date).unwrap_or_default();
    view! {
        <p class="no-print"><a href=back>"← Back to the program"</a></p>
        <h1>{list.heading.clone()}</h1>
        <p class="muted">
            {format!("{} experiment{}", list.rows.len(), if list.rows.len() == 1 { "" } else { "s" })}
            {(!filters.is_empty()).then(|| format!(" · filters: {}", described(&query)))}
        </p>
        <table class="cohort">
            <thead><tr>
                <th scope="col">"Experiment"</th><th scope="col">"Team"</th><th scope="col">"Surface"</th>
                <th scope="col">"Status"</th><th scope="col">"Verdict"</th><th scope="col">"Launched"</th><th scope="col">"Ended"</th>
            </tr></thead>
            <tbody>
                {list.rows.into_iter().map(|r| view! {
                    <tr data-key=r.key.clone()>
                        <td><a href=format!("/experiments/{}", r.key)>{r.title}</a><br /><code>{r.key.clone()}</code></td>
                        <td>{r.team}</td>
                        <td>{r.surface}</td>
                        <td>{r.status.label()}</td>
                        <td>{r.verdict.unwrap_or_default()}</td>
                        <td>{shown(r.started)}</td>
                        <td>{shown(r.ended)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "team Growth, from 2026-01-01": the filters as a person reads them.
fn described(q: &ProgramQuery) -> String {
    [
        ("from", &q.from),
        ("to", &q.to),
        ("team", &q.team),
        ("surface", &q.surface),
        ("tag", &q.tag),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k} {}", v.trim()))
    .collect::<Vec<_>>()
    .join(", ")
}
