//! The experiment page's head: where it sits, who owns it, its dates, and the warnings that ask
//! for attention (a decision due, another test running on the same surface).

use leptos::prelude::*;

use crate::components::format::{date, timestamp};
use crate::domain::experiment::Experiment;

#[component]
pub fn Header(exp: Experiment, overlapping: Vec<String>, decision_due: bool) -> impl IntoView {
    let key = exp.key.to_string();
    let status = exp.status;
    let tags = exp.tags.clone();
    view! {
        <header class="experiment-head">
            <p class="crumbs"><a href="/">"Board"</a> " / " <code>{key.clone()}</code>
                {exp.follows.clone().map(|f| view! { " · follows " <a href=format!("/experiments/{f}")>{f.clone()}</a> })}
            </p>
            <h1>{exp.title.clone()}</h1>
            <p class="meta">
                <span class=format!("status status-{}", status.slug()) data-testid="status">{status.label()}</span>
                " · owner " {exp.owner.clone()} " · team " {exp.team.clone()}
                {(!exp.surface.is_empty()).then(|| view! { " · surface " <span class="surface">{exp.surface.clone()}</span> })}
                {tags.into_iter().map(|t| view! { " " <span class="tag">{t}</span> }).collect_view()}
            </p>
            <p class="dates">
                {exp.started_at.map(|t| format!("Started {}. ", timestamp(t)))}
                {exp.brief.planned_end.map(|d| format!("Planned end {}. ", date(d)))}
                {exp.ended_at.map(|t| format!("Ended {}.", timestamp(t)))}
            </p>
            {decision_due.then(|| view! {
                <p class="warning" data-testid="decision-due">
                    "Decision due: the planned end date has passed. Review the computed verdict and close the experiment."
                </p>
            })}
            {(!overlapping.is_empty()).then(|| view! {
                <p class="warning">{format!("Also running on this surface: {}", overlapping.join(", "))}</p>
            })}
        </header>
    }
}
