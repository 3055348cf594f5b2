//! The weekly review's lists. Plain values in; triage decisions go out through a callback the
//! page wires to its server action.

use leptos::prelude::*;

use crate::components::error_view::Problems;
use crate::components::format::date;
use crate::domain::analysis::signed_pct;
use crate::domain::program::SrmCheck;
use crate::domain::review::markdown::{days_left, guardrails_label, srm_label};
use crate::domain::review::record::TriageOutcome;
use crate::domain::review::{EndedItem, Guardrails, ProposalItem, RunningItem};

/// (key, outcome, reason) of a triage decision.
pub type Triage = (String, TriageOutcome, String);

#[component]
pub fn RunningTable(items: Vec<RunningItem>, #[prop(into)] empty: String) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <table class="review-table">
            <thead><tr>
                <th scope="col">"Experiment"</th><th scope="col">"Owner"</th><th scope="col">"Ends"</th>
                <th scope="col">"Health"</th><th scope="col">"The rule says"</th>
            </tr></thead>
            <tbody>
                {items.into_iter().map(|r| {
                    let overdue = r.days_left.is_some_and(|d| d < 0);
                    let srm_bad = r.health.srm == SrmCheck::Failed;
                    let guard_bad = matches!(r.health.guardrails, Guardrails::Breached(_));
                    view! {
                        <tr data-key=r.key.clone()>
                            <td><a href=format!("/experiments/{}#results", r.key)>{r.title}</a><br /><code>{r.key.clone()}</code>" · "{r.surface}</td>
                            <td>{r.owner}<br /><span class="muted">{r.team}</span></td>
                            <td class:bad=overdue>{days_left(r.days_left)}<br /><span class="muted">{r.planned_end.map(date).unwrap_or_default()}</span></td>
                            <td>
                                <span class:bad=srm_bad>{srm_label(r.health.srm)}</span><br />
                                <span class:bad=guard_bad>{guardrails_label(&r.health.guardrails)}</span>
                            </td>
                            <td>{match (r.primary_hidden, r.rule_says) {
                                (true, _) => "hidden until the end date (no peeking)".to_string(),
                                (false, Some(v)) => v.describe(),
                                (false, None) => "no results yet".to_string(),
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn EndedList(items: Vec<EndedItem>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">"Nothing ended since the last review."</p> }.into_any();
    }
    view! {
        <ul class="review-list">
            {items.into_iter().map(|e| view! {
                <li data-key=e.key.clone()>
                    <a href=format!("/experiments/{}#conclusion", e.key)>{e.title}</a>" "
                    <strong class=format!("verdict verdict-{}", e.verdict.kind().slug())>{e.verdict.describe()}</strong>
                    {e.overridden.then(|| view! { <span class="badge warn">"overrode the rule"</span> })}
                    {e.lift.map(|l| format!(" · {} {} (95% CI {} to {})", l.arm, signed_pct(l.lift), signed_pct(l.low), signed_pct(l.high)))}
                    <span class="muted">{format!(" · {} · ended {}", e.team, date(e.ended))}</span>
                    <p>{e.summary}</p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The triage queue: each proposal with its brief completeness, overlaps and the three outcomes.
#[component]
pub fn ProposalList(
    items: Vec<ProposalItem>,
    #[prop(into)] empty: String,
    on_triage: Option<Callback<Triage>>,
    problems: RwSignal<Option<(String, Vec<String>)>>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="review-list proposals">
            {items.into_iter().map(|p| {
                let key = p.key.clone();
                let reason = RwSignal::new(String::new());
                let mine = {
                    let key = key.clone();
                    Signal::derive(move || problems.get().filter(|(k, _)| *k == key).map(|(_, r)| r).unwrap_or_default())
                };
                let controls = on_triage.map(|cb| {
                    let send = move |outcome: TriageOutcome| {
                        let key = key.clone();
                        move |_| cb.run((key.clone(), outcome, reason.get_untracked()))
                    };
                    view! {
                        <div class="triage no-print">
                            <button type="button" class="small" on:click=send(TriageOutcome::Promote)>"Promote to ready"</button>
                            <button type="button" class="small" on:click=send(TriageOutcome::Park)>"Park"</button>
                            <input type="text" class="reason" placeholder="reason (needed to reject)" aria-label=format!("Reason for {}", p.key)
                                prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                            <button type="button" class="small" on:click=send(TriageOutcome::Reject)>"Reject"</button>
                        </div>
                    }
                });
                view! {
                    <li data-key=p.key.clone()>
                        <a href=format!("/experiments/{}", p.key)>{p.title}</a>
                        <span class="muted">{format!(" · {} · {} · proposed {}", p.team, p.owner, date(p.proposed))}</span>
                        <p>
                            <span class="completeness">{format!("brief {:.0}% complete", p.completeness * 100.0)}</span>
                            {(!p.missing.is_empty()).then(|| format!(" · missing: {}", p.missing.iter().take(3).cloned().collect::<Vec<_>>().join("; ")))}
                            {(p.missing.len() > 3).then(|| format!(" (+{} more)", p.missing.len() - 3))}
                        </p>
                        {(!p.overlaps.is_empty()).then(|| view! {
                            <p class="overlap">{format!("Overlap: {} already running on {}", p.overlaps.join(", "), p.surface)}</p>
                        })}
                        {controls}
                        {move || view! { <Problems items=mine.get() /> }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
