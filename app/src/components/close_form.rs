//! Closing a running experiment: verdict, arm, summary and, before the end date, a reason.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::domain::lifecycle::{given, Closing, TransitionRequest};
use crate::domain::verdict::{PostMortem, Verdict, VerdictKind};

#[component]
pub fn CloseForm(
    treatments: Vec<String>,
    planned_end: Option<NaiveDate>,
    today: NaiveDate,
    /// The decision rule's verdict on the latest results: pre-selected, and choosing another
    /// one asks for a reason.
    computed: Option<Verdict>,
    on_close: Callback<TransitionRequest>,
) -> impl IntoView {
    let verdict = RwSignal::new(computed.as_ref().map(Verdict::kind));
    let arm = RwSignal::new(
        computed
            .as_ref()
            .and_then(|v| v.arm().map(str::to_owned))
            .or_else(|| treatments.first().cloned())
            .unwrap_or_default(),
    );
    let override_reason = RwSignal::new(String::new());
    let lessons = RwSignal::new(String::new());
    let segment_notes = RwSignal::new(String::new());
    let next_idea = RwSignal::new(String::new());
    let differs = {
        let computed = computed.clone();
        move || match (&computed, verdict.get()) {
            (Some(c), Some(k)) => Verdict::from_parts(k, Some(arm.get())).as_ref() != Some(c),
            _ => false,
        }
    };
    let summary = RwSignal::new(String::new());
    let stop_reason = RwSignal::new(String::new());
    let early = planned_end.is_some_and(|end| today < end);
    view! {
        <form id="close" class="close-form" on:submit=move |ev| {
            ev.prevent_default();
            on_close.run(TransitionRequest::Close(Closing {
                verdict: verdict.get_untracked(),
                ship_arm: given(&arm.get_untracked()),
                summary: summary.get_untracked(),
                stop_reason: given(&stop_reason.get_untracked()),
                override_reason: given(&override_reason.get_untracked()),
                post_mortem: PostMortem {
                    lessons: lessons.get_untracked(),
                    segment_notes: segment_notes.get_untracked(),
                    next_idea: next_idea.get_untracked(),
                },
                note: String::new(),
            }));
        }>
            <h3>"Close with a verdict"</h3>
            {computed.clone().map(|c| view! {
                <p class="computed" data-testid="computed-verdict">"The decision rule says: " <strong>{c.describe()}</strong>"."</p>
            })}
            <fieldset class="verdicts">
                <legend>"Verdict"</legend>
                {VerdictKind::ALL.into_iter().map(|k| view! {
                    <label class="radio"><input type="radio" name="verdict" value=k.slug() checked=verdict.get_untracked() == Some(k) on:change=move |_| verdict.set(Some(k)) />{k.label()}</label>
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
            <fieldset class="post-mortem">
                <legend>"Post-mortem"</legend>
                <label class="field"><span class="label">"Lessons (required)"</span>
                    <textarea name="lessons" rows="3" placeholder="What did we learn, whatever the verdict?" on:input=move |ev| lessons.set(event_target_value(&ev))></textarea>
                </label>
                <label class="field"><span class="label">"Segment notes"</span>
                    <textarea name="segment_notes" rows="2" placeholder="Did any segment behave differently? (say how sure you are)" on:input=move |ev| segment_notes.set(event_target_value(&ev))></textarea>
                </label>
                <label class="field"><span class="label">"Next test idea"</span>
                    <input type="text" name="next_idea" placeholder="One click turns it into a linked proposal" on:input=move |ev| next_idea.set(event_target_value(&ev)) />
                </label>
            </fieldset>
            <Show when=differs.clone()>
                <label class="field"><span class="label">"Reason for overriding the computed verdict"</span>
                    <textarea name="override_reason" rows="2" on:input=move |ev| override_reason.set(event_target_value(&ev))></textarea>
                    <small class="hint">"Recorded and shown with the verdict."</small>
                </label>
            </Show>
            <button type="submit" class="primary">"Close experiment"</button>
        </form>
    }
}
