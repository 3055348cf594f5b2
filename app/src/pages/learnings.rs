//! The learnings library `/learnings`: every finished experiment, searchable (full text over
//! title, hypothesis, summary and tags, plus the post-mortem) and filterable by verdict, team,
//! surface, primary metric and tag, all in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::learnings::search_learnings;
use crate::components::error_view::ErrorView;
use crate::components::format::date;
use crate::domain::learning::{LearningQuery, Learnings};
use crate::domain::verdict::VerdictKind;

#[component]
pub fn LearningsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        LearningQuery {
            q: get("q"),
            verdict: get("verdict"),
            team: get("team"),
            surface: get("surface"),
            metric: get("metric"),
            tag: get("tag"),
        }
    });
    let results = crate::pages::resource(move || query.get(), search_learnings);
    view! {
        <Title text="Learnings" />
        <Transition fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match results.await {
                    Ok(found) => view! { <Library found query=q /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Library(found: Learnings, query: LearningQuery) -> impl IntoView {
    let select = |name: &'static str,
                  label: &'static str,
                  options: Vec<(String, String)>,
                  current: String| {
        view! {
            <label>{label}
                <select name=name>
                    <option value="" selected=current.is_empty()>"All"</option>
                    {options.into_iter().map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let same = |v: Vec<String>| v.into_iter().map(|s| (s.clone(), s)).collect::<Vec<_>>();
    let verdicts = VerdictKind::ALL
        .iter()
        .map(|k| (k.slug().to_string(), k.label().to_string()))
        .collect();
    let f = found.facets;
    let filtered = !query.to_query_string().is_empty();
    let count = found.hits.len();
    view! {
        <div class="board-head">
            <h1>"Learnings"</h1>
            <Form method="GET" action="/learnings" attr:class="filters">
                <label>"Search" <input type="search" name="q" value=query.q.clone() placeholder="a word from a title, hypothesis, summary, lesson…" /></label>
                {select("verdict", "Verdict", verdicts, query.verdict.clone())}
                {select("team", "Team", same(f.teams), query.team.clone())}
                {select("surface", "Surface", same(f.surfaces), query.surface.clone())}
                {select("metric", "Metric", same(f.metrics), query.metric.clone())}
                {select("tag", "Tag", same(f.tags), query.tag.clone())}
                <button type="submit">"Search"</button>
                {filtered.then(|| view! { <a href="/learnings" class="clear">"Clear"</a> })}
            </Form>
        </div>
        <p class="muted" role="status">{match (found.total, count) {
            (0, _) => "No experiment has finished yet: learnings appear here when experiments close with a verdict.".to_string(),
            (_, 0) => "Nothing matches. Try fewer words or clear a filter.".to_string(),
            (total, n) => format!("{n} of {total} finished experiments{}", if n as i64 >= crate::api::learnings::LIMIT_SHOWN { " (the best matches)" } else { "" }),
        }}</p>
        <ul class="learnings">
            {found.hits.into_iter().map(|l| {
                let verdict = l.verdict.as_ref().map(|v| (v.kind().slug(), v.describe()));
                view! {
                    <li class="learning" data-key=l.key.clone()>
                        <h2><a href=format!("/experiments/{}#conclusion", l.key)>{l.title}</a></h2>
                        <p class="meta">
                            {verdict.map(|(slug, text)| view! { <strong class=format!("verdict verdict-{slug}")>{text}</strong> })}
                            <span class="muted">{format!(" · {} · {} · {}{}", l.team, l.surface, l.metric, l.ended.map(|d| format!(" · ended {}", date(d))).unwrap_or_default())}</span>
                        </p>
                        {(!l.snippet.is_empty()).then(|| view! {
                            <p class="snippet">{l.snippet.into_iter().map(|s| if s.hit {
                                view! { <mark>{s.text}</mark> }.into_any()
                            } else {
                                s.text.into_any()
                            }).collect_view()}</p>
                        })}
                        <p>{l.summary}</p>
                        {(!l.lessons.is_empty()).then(|| view! { <p class="lessons"><strong>"Lessons: "</strong>{l.lessons}</p> })}
                        <p class="tags">{l.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
