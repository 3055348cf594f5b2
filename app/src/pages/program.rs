//! The program dashboard `/program`: win rate, velocity and rule-following, filtered by date
//! range, team, surface and tag (all in the URL), each number a link to its experiments.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::program::{get_program, ProgramView};
use crate::components::error_view::ErrorView;
use crate::components::program_discipline::DisciplineSection;
use crate::components::program_sections::{VelocitySection, WinRateSection};
use crate::domain::program::ProgramQuery;
use crate::domain::url;

/// The dashboard's filters from the URL (also used by the list page).
pub fn program_query(q: &leptos_router::params::ParamsMap) -> ProgramQuery {
    let get = |k: &str| q.get(k).unwrap_or_default();
    ProgramQuery {
        from: get("from"),
        to: get("to"),
        team: get("team"),
        surface: get("surface"),
        tag: get("tag"),
    }
}

#[component]
pub fn ProgramPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| program_query(&params.read()));
    let program = crate::pages::resource(move || query.get(), get_program);
    view! {
        <Title text="Program" />
        <Transition fallback=|| view! { <p class="loading">"Loading the program…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match program.await {
                    Ok(view) => view! { <Dashboard view query=q /> }.into_any(),
                    Err(e) => view! { <FilterBar view=None query=q /> <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Dashboard(mut view: ProgramView, query: ProgramQuery) -> impl IntoView {
    if view.total == 0 {
        return view! {
            <section class="empty">
                <h1>"No experiments yet"</h1>
                <p>"The program view fills in as experiments launch and conclude. Start on the "<a href="/">"board"</a>"."</p>
            </section>
        }
        .into_any();
    }
    // Shared, not copied: the report holds every experiment's key in its cohorts, and at
    // 10,000 experiments copying it for each section was the dashboard's largest cost.
    let report = std::sync::Arc::new(std::mem::take(&mut view.report));
    let nothing = report.selected.n == 0;
    view! {
        <FilterBar view=Some(view) query=query.clone() />
        {nothing.then(|| view! { <p class="notice" role="status">"No experiment matches these filters."</p> })}
        <WinRateSection report=report.clone() query=query.clone() />
        <VelocitySection report=report.clone() query=query.clone() />
        <DisciplineSection report query />
    }
    .into_any()
}

#[component]
fn FilterBar(view: Option<ProgramView>, query: ProgramQuery) -> impl IntoView {
    let (teams, surfaces, tags) = view
        .map(|v| (v.teams, v.surfaces, v.tags))
        .unwrap_or_default();
    let select =
        |name: &'static str, label: &'static str, options: Vec<String>, current: String| {
            view! {
                <label>
                    {label}
                    <select name=name>
                        <option value="" selected=current.is_empty()>"All"</option>
                        {options.into_iter().map(|o| {
                            let selected = o == current;
                            view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        };
    let team = query.team.trim().to_owned();
    let board_params = match url::query_string([("team", team.as_str()), ("tag", &query.tag)]) {
        q if q.is_empty() => q,
        q => format!("?{q}"),
    };
    view! {
        <div class="board-head program-head">
            <h1>"Program"</h1>
            <Form method="GET" action="/program" attr:class="filters">
                <label>"From" <input type="date" name="from" value=query.from.clone() /></label>
                <label>"To" <input type="date" name="to" value=query.to.clone() /></label>
                {select("team", "Team", teams, query.team.clone())}
                {select("surface", "Surface", surfaces, query.surface.clone())}
                {select("tag", "Tag", tags, query.tag.clone())}
                <button type="submit">"Filter"</button>
                {(!query.is_empty()).then(|| view! { <a href="/program" class="clear">"Clear"</a> })}
            </Form>
        </div>
        <div class="program-links no-print">
            <a href="/review">"Weekly review"</a>" · "
            <a href="/learnings">"Learnings"</a>" · "
            <a href=format!("/experiments.csv{board_params}") download="">"Export the experiment list (CSV)"</a>" · "
            <crate::pages::calendar_feed::CalendarFeed team=team.clone() label="Calendar feed of launches and end dates (.ics)" />
        </div>
        <p class="muted dates-note">
            "Win rate, durations and decisions count tests by the day they concluded; launches, briefs and sample ratio checks by the day they launched; \"running now\" ignores the dates."
        </p>
    }
}
