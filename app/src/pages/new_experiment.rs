//! `/experiments/new`: a proposal needs only a title, a hypothesis draft, an owner and a team.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::experiments::create_experiment;
use crate::api::learnings::similar_experiments;
use crate::components::error_view::Problems;
use crate::domain::experiment::{ExperimentKey, NewExperimentForm};
use crate::error::AppError;

#[component]
pub fn NewExperimentPage() -> impl IntoView {
    let form = RwSignal::new(NewExperimentForm::default());
    let create = Action::new(move |f: &NewExperimentForm| {
        let f = f.clone();
        async move { create_experiment(f).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(key)) = create.value().get() {
            navigate(&format!("/experiments/{key}"), Default::default());
        }
    });
    let problems = move || match create.value().get() {
        Some(Err(AppError::Invalid(fields))) => fields.into_iter().map(|f| f.message).collect(),
        Some(Err(e)) => vec![e.to_string()],
        _ => Vec::<String>::new(),
    };
    let field = move |label: &'static str,
                      name: &'static str,
                      set: fn(&mut NewExperimentForm, String),
                      placeholder: &'static str| {
        view! {
            <label class="field"><span class="label">{label}</span>
                <input type="text" name=name placeholder=placeholder on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)) } />
            </label>
        }
    };
    view! {
        <Title text="Propose an experiment" />
        <h1>"Propose an experiment"</h1>
        <p class="muted">"A proposal can be rough: the brief is completed before it is marked ready."</p>
        <form class="new-experiment" on:submit=move |ev| { ev.prevent_default(); create.dispatch(form.get_untracked()); }>
            {field("Title", "title", |f, v| f.title = v, "One-page checkout")}
            <label class="field"><span class="label">"Hypothesis (draft)"</span>
                <textarea name="hypothesis" rows="3" placeholder="Changing … from … to … will improve … because …"
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.hypothesis = v) }></textarea>
            </label>
            <div class="grid two">
                {field("Owner", "owner", |f, v| f.owner = v, "Ana Souza")}
                {field("Team", "team", |f, v| f.team = v, "Checkout")}
                {field("Surface", "surface", |f, v| f.surface = v, "checkout")}
                {field("Tags (comma separated)", "tags", |f, v| f.tags = v, "speed, q4")}
            </div>
            <label class="field"><span class="label">"Key (the analytics tool's experiment name)"</span>
                <input type="text" name="key"
                    prop:placeholder=move || form.with(|f| ExperimentKey::suggest(&f.title))
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.key = v) } />
                <small class="hint">"Leave blank to use the suggestion. It cannot change later."</small>
            </label>
            {move || view! { <Problems items=problems() /> }}
            <button type="submit" class="primary" disabled=move || create.pending().get()>"Propose"</button>
        </form>
        <SimilarPast form />
    }
}

/// Finished experiments like this one (same surface, or a word of the title), as the person
/// types: the learnings are most useful before a test is proposed again.
#[component]
fn SimilarPast(form: RwSignal<NewExperimentForm>) -> impl IntoView {
    let wanted =
        Memo::new(move |_| form.with(|f| (f.title.trim().to_owned(), f.surface.trim().to_owned())));
    let similar = crate::pages::resource(
        move || wanted.get(),
        |(title, surface)| async move {
            if title.chars().count() < 3 && surface.is_empty() {
                return Ok(Vec::new());
            }
            similar_experiments(title, surface).await
        },
    );
    view! {
        <aside class="similar" aria-label="Similar past experiments">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match similar.await {
                        Ok(list) if !list.is_empty() => view! {
                            <h2>"Similar past experiments"</h2>
                            <ul>
                                {list.into_iter().map(|l| view! {
                                    <li>
                                        <a href=format!("/experiments/{}", l.key)>{l.title.clone()}</a>
                                        " · "{l.surface.clone()}" · "
                                        {l.verdict.as_ref().map(|v| v.describe()).unwrap_or_default()}
                                        {(!l.lessons.is_empty()).then(|| view! { <p class="muted">{l.lessons.clone()}</p> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </aside>
    }
}
