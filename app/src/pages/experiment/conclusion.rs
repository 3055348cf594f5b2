//! A finished experiment's conclusion: the verdict, the summary, the post-mortem (with the next
//! test idea one click from becoming a proposal) and any override of the computed verdict.

use leptos::prelude::*;

use crate::domain::verdict::Conclusion;

#[component]
pub fn ConclusionView(
    conclusion: Conclusion,
    /// Whether the reader may propose the next idea (an editor): a viewer sees the idea only.
    can_propose: bool,
    /// Where "Propose it" posts before the script has loaded (after, `on_follow_up` runs).
    follow_up_action: String,
    on_follow_up: Callback<()>,
) -> impl IntoView {
    let c = conclusion;
    view! {
        <div class="conclusion" data-testid="conclusion">
            <h3>"Verdict: " {c.verdict.describe()}</h3>
            <p>{c.summary.clone()}</p>
            {c.stopped_early.clone().map(|why| view! { <p class="badge overdue">"Stopped early: " {why}</p> })}
            {(!c.post_mortem.lessons.is_empty()).then(|| view! {
                <div class="post-mortem-view" data-testid="post-mortem">
                    <h4>"Lessons"</h4><p>{c.post_mortem.lessons.clone()}</p>
                    {(!c.post_mortem.segment_notes.is_empty()).then(|| view! { <h4>"Segment notes"</h4><p>{c.post_mortem.segment_notes.clone()}</p> })}
                    {(!c.post_mortem.next_idea.is_empty()).then(|| view! {
                        <h4>"Next test idea"</h4>
                        // A div, not a p: the parser would close a p at the form, and the page
                        // would no longer hydrate.
                        <div class="next-idea">{c.post_mortem.next_idea.clone()} " "
                            {can_propose.then(|| view! {
                                <form class="inline" method="post" action=follow_up_action.clone()
                                    on:submit=move |ev| { ev.prevent_default(); on_follow_up.run(()); }>
                                    <button type="submit" class="small">"Propose it"</button>
                                </form>
                            })}
                        </div>
                    })}
                </div>
            })}
            {c.overridden().then(|| view! {
                <p class="override" data-testid="override">
                    {format!("Overrode the computed verdict ({}): {}", c.computed.as_ref().map(|v| v.describe()).unwrap_or_default(), c.override_reason.clone().unwrap_or_default())}
                </p>
            })}
        </div>
    }
}
