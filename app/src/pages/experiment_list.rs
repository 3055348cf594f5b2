//! `/experiments`: every experiment in one table, sortable by any column (lift most of all),
//! filtered and paged in the URL, with a CSV of exactly the filtered rows. Plain links and a GET
//! form: it reads and works before (and without) hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::experiments::list_experiments;
use crate::components::error_view::ErrorView;
use crate::components::format::date;
use crate::domain::analysis::signed_pct;
use crate::domain::experiment_list::{ListPage, ListParams, ListSort};
use crate::domain::lifecycle::Status;

#[component]
pub fn ExperimentListPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        ListParams {
            team: get("team"),
            owner: get("owner"),
            tag: get("tag"),
            q: get("q"),
            archived: get("archived") == "true",
            status: Status::from_slug(&get("status")),
            sort: ListSort::from_slug(&get("sort")).unwrap_or_default(),
            asc: get("asc") == "true",
            page: get("page").parse().unwrap_or(1),
        }
    });
    let list = crate::pages::resource(move || params.get(), list_experiments);
    view! {
        <Title text="All experiments" />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let params = params.get_untracked();
                match list.await {
                    Ok(page) => view! { <ListTable page params /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ListTable(page: ListPage, params: ListParams) -> impl IntoView {
    // A header sorts by its column; clicking the current one flips the order.
    let header = |label: &'static str, sort: ListSort| {
        let current = params.sort == sort;
        let asc = current && !params.asc;
        let href = format!("/experiments?{}", params.query(sort, asc, 1));
        let mark = match (current, params.asc) {
            (false, _) => "",
            (true, true) => " ▲",
            (true, false) => " ▼",
        };
        view! { <th scope="col" aria-sort=if current { if params.asc { "ascending" } else { "descending" } } else { "none" }>
            <a href=href data-sort=sort.slug()>{label}{mark}</a>
        </th> }
    };
    let csv = format!(
        "/experiments.csv?{}",
        params.query(params.sort, params.asc, 1)
    );
    let link = |p: u32| format!("/experiments?{}", params.query(params.sort, params.asc, p));
    let (prev, next) = (
        (page.page > 1).then(|| link(page.page - 1)),
        (page.page < page.pages).then(|| link(page.page + 1)),
    );
    let status = params.status;
    let (team, owner, q, sort_slug, asc) = (
        params.team.clone(),
        params.owner.clone(),
        params.q.clone(),
        params.sort.slug(),
        params.asc,
    );
    let headers = [
        header("Experiment", ListSort::Title).into_any(),
        header("Status", ListSort::Status).into_any(),
        header("Team", ListSort::Team).into_any(),
        view! { <th scope="col">"Surface"</th> }.into_any(),
        header("Owner", ListSort::Owner).into_any(),
        header("Verdict", ListSort::Verdict).into_any(),
        header("Lift (primary)", ListSort::Lift).into_any(),
        header("Launched", ListSort::Launched).into_any(),
        header("Ended", ListSort::Ended).into_any(),
        header("Days over plan", ListSort::DaysOver).into_any(),
    ];
    let day = |d: Option<chrono::NaiveDate>| d.map(date).unwrap_or_default();
    view! {
        <h1>"All experiments"</h1>
        <Form method="GET" action="/experiments" attr:class="filters">
            <label>"Status"
                <select name="status">
                    <option value="" selected=status.is_none()>"All"</option>
                    {Status::ALL.iter().map(|s| view! { <option value=s.slug() selected=status == Some(*s)>{s.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Team" <input type="text" name="team" value=team /></label>
            <label>"Owner" <input type="text" name="owner" value=owner /></label>
            <label>"Search" <input type="search" name="q" value=q placeholder="title, key, brief…" /></label>
            <input type="hidden" name="sort" value=sort_slug />
            {asc.then(|| view! { <input type="hidden" name="asc" value="true" /> })}
            <button type="submit">"Filter"</button>
            <a href=csv download="" data-testid="list-csv">"CSV of these rows"</a>
            <span class="shown" data-testid="list-total">{format!("{} experiment{}", page.total, if page.total == 1 { "" } else { "s" })}</span>
        </Form>
        <table class="experiment-list" data-testid="experiment-list">
            <thead><tr>{headers.into_iter().collect_view()}</tr></thead>
            <tbody>
                {page.rows.into_iter().map(|r| view! {
                    <tr data-key=r.key.clone()>
                        <td><a href=format!("/experiments/{}", r.key)>{r.title}</a><br /><code>{r.key.clone()}</code></td>
                        <td>{r.status.label()}</td>
                        <td>{r.team}</td>
                        <td>{r.surface}</td>
                        <td>{r.owner}</td>
                        <td>{r.verdict.unwrap_or_default()}</td>
                        <td class="num" data-lift=r.lift.map(|l| l.to_string()).unwrap_or_default()>
                            {r.lift.map(|l| format!("{} ({})", signed_pct(l), r.lift_arm.unwrap_or_default())).unwrap_or_else(|| "—".into())}
                        </td>
                        <td>{day(r.launched)}</td>
                        <td>{day(r.ended)}</td>
                        <td class="num">{r.days_over.map(|d| d.to_string()).unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {prev.map(|h| view! { <a href=h rel="prev">"← Previous"</a> })}
            <span>{format!(" Page {} of {} ", page.page, page.pages)}</span>
            {next.map(|h| view! { <a href=h rel="next">"Next →"</a> })}
        </nav>
    }
}
