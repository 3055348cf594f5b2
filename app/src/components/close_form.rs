//! Closing a running experiment: verdict, arm, summary and, before the end date, a reason.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::domain::lifecycle::{Status, TransitionRequest};
use crate::domain::verdict::VerdictKind;

#[component]
pub fn CloseForm(
    treatments: Vec<String>,
    planned_end: Option<NaiveDate>,
    today: NaiveDate,
    on_close: Callback<TransitionRequest>,
) -> impl IntoView {
    let verdict = RwSignal::new(None::<VerdictKind>);
    let arm = RwSignal::new(treatments.first().cloned().unwrap_or_default());
    let summary = RwSignal::new(String::new());
    let stop_reason = RwSignal::new(String::new());
    let early = planned_end.is_some_and(|end| today < end);
    view! {
        <form id="close" class="close-form" on:submit=move |ev| {
            ev.prevent_default();
            on_close.run(TransitionRequest {
                to: Some(Status::Done),
                note: String::new(),
                verdict: verdict.get_untracked(),
                ship_arm: arm.get_untracked(),
                summary: summary.get_untracked(),
                stop_reason: stop_reason.get_untracked(),
            });
        }>
            <h3>"Close with a verdict"</h3>
            <fieldset class="verdicts">
                <legend>"Verdict"</legend>
                {VerdictKind::ALL.into_iter().map(|k| view! {
                    <label class="radio"><input type="radio" name="verdict" value=k.slug() on:change=move |_| verdict.set(Some(k)) />{k.label()}</label>
                }).collect_view()}
            </fieldset>
            <Show when=move || verdict.get() == Some(VerdictKind::Ship)>
                <label class="field"><span class="label">"Arm that ships"</span>
                    <select name="ship_arm" on:change=move |ev| arm.set(event_target_value(&ev))>
                        {treatments.iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </Show>
            <label class="field"><span class="label">"Summary"</span>
                <textarea name="summary" rows="3" placeholder="What happened, in a sentence or two" on:input=move |ev| summary.set(event_target_value(&ev))></textarea>
            </label>
            {early.then(|| view! {
                <label class="field"><span class="label">{format!("Reason for stopping before the planned end ({})", planned_end.map(|d| d.to_string()).unwrap_or_default())}</span>
                    <textarea name="stop_reason" rows="2" on:input=move |ev| stop_reason.set(event_target_value(&ev))></textarea>
                    <small class="hint">"Recorded as stopped early."</small>
                </label>
            })}
            <button type="submit" class="primary">"Close experiment"</button>
        </form>
    }
}
