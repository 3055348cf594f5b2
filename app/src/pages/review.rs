//! The weekly review `/review?week=2026-W47`: one page for the meeting. This week's page is live
//! (agenda, meeting notes, triage applied to the backlog); a past week shows what was recorded.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::review::{get_review, triage_proposal, ReviewView};
use crate::components::error_view::{reasons, ErrorView, Problems};
use crate::components::review_sections::{EndedList, ProposalList, RunningTable, Triage};
use crate::domain::period::IsoWeek;
use crate::domain::review::record::{ReviewForm, TriageRequest};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_query_map();
    let week = Memo::new(move |_| params.read().get("week").unwrap_or_default());
    let all = Memo::new(move |_| params.read().get("all").is_some_and(|a| a == "1"));
    // (key, problems) of the last refused triage, shown under that proposal.
    let problems = RwSignal::new(None::<(String, Vec<String>)>);
    let notice = RwSignal::new(None::<String>);
    let triage = Action::new(move |(week, t): &(String, Triage)| {
        let (week, (key, outcome, reason)) = (week.clone(), t.clone());
        async move {
            let request = TriageRequest {
                key: key.clone(),
                outcome,
                reason,
            };
            (key, triage_proposal(week, request).await)
        }
    });
    // Reloaded only after a triage that changed something: a refused one keeps the page (and
    // any reason being typed) as it is.
    let changed = RwSignal::new(0u32);
    Effect::new(move |_| match triage.value().get() {
        Some((_, Ok(message))) => {
            problems.set(None);
            notice.set(Some(message));
            changed.update(|n| *n += 1);
        }
        Some((key, Err(e))) => {
            notice.set(None);
            problems.set(Some((key, reasons(&e))));
        }
        None => {}
    });
    let save = ServerAction::<crate::api::review::SaveReview>::new();
    let review = crate::pages::resource(
        move || (week.get(), all.get(), changed.get(), save.version().get()),
        |(w, all, _, _)| get_review(w, all),
    );
    let on_triage = Callback::new(move |t: Triage| {
        triage.dispatch((week.get_untracked(), t));
    });
    view! {
        <Title text="Weekly review" />
        <Transition fallback=|| view! { <p class="loading">"Loading the review…"</p> }>
            {move || Suspend::new(async move {
                match review.await {
                    Ok(view) => view! { <Review view on_triage problems notice save /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Review(
    view: ReviewView,
    on_triage: Callback<Triage>,
    problems: RwSignal<Option<(String, Vec<String>)>>,
    notice: RwSignal<Option<String>>,
    save: ServerAction<crate::api::review::SaveReview>,
) -> impl IntoView {
    let week = view.week;
    let title = format!("Weekly review {week}");
    let days = format!(
        "{} to {}",
        crate::components::format::date(week.monday()),
        crate::components::format::date(week.sunday())
    );
    let live = view.agenda.is_some();
    let hidden = view.hidden;
    let can_edit = view.can_edit;
    // A viewer sees the proposals without the triage buttons (the server refuses a viewer's).
    let on_triage = can_edit.then_some(on_triage);
    // "Show all" under a section the page cut short (a plain link: it works before hydration).
    let show_all = move |left_out: usize, shown: usize, anchor: &'static str| {
        (left_out > 0).then(|| view! {
            <p class="muted section-more">{format!("The first {shown} of {} are shown. ", shown + left_out)}
                <a href=format!("/review?week={week}&all=1#{anchor}")>{format!("Show all {}", shown + left_out)}</a></p>
        })
    };
    let past_list = view.past.clone();
    view! {
        <div class="review-head">
            <div>
                <h1>{title}</h1>
                <p class="muted">{days}{(week == view.this_week).then_some(" · this week")}</p>
            </div>
            <nav class="week-nav no-print" aria-label="Weeks">
                <a href=format!("/review?week={}", week.previous())>{format!("← {}", week.previous())}</a>
                {(week != view.this_week).then(|| view! { <a href="/review">"This week"</a> })}
                <a href=format!("/review?week={}", week.next())>{format!("{} →", week.next())}</a>
                <Form method="GET" action="/review" attr:class="week-pick">
                    <label>"Week" <input type="week" name="week" value=week.to_string() /></label>
                    <button type="submit" class="small">"Open"</button>
                </Form>
            </nav>
        </div>
        <div class="program-links no-print">
            <a href=format!("/review.md?week={week}") data-testid="markdown-export">"Export as Markdown"</a>" · "
            <button type="button" class="small" on:click=|_| { let _ = window().print(); }>"Print"</button>" · "
            <crate::pages::calendar_feed::CalendarFeed team=String::new() label="Calendar feed (.ics)" />" · "
            <a href="/program">"Program dashboard"</a>
        </div>
        {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {match view.agenda {
            Some(a) => view! {
                <section class="review-section"><h2>{format!("Decisions waiting ({})", a.decisions.len())}</h2>
                    <RunningTable items=a.decisions empty="No decision is due this week." /></section>
                <section class="review-section"><h2>{format!("Overdue ({})", a.overdue.len())}</h2>
                    <RunningTable items=a.overdue empty="Nothing is running past its planned end." /></section>
                <section class="review-section" id="running"><h2>{format!("Running ({})", a.running.len() + hidden.running)}</h2>
                    {show_all(hidden.running, a.running.len(), "running")}
                    <RunningTable items=a.running empty="Nothing is running." /></section>
                <section class="review-section"><h2>{format!("Ended since the last review ({})", a.ended.len())}</h2>
                    <EndedList items=a.ended /></section>
                <section class="review-section" id="triage"><h2>{format!("Proposed, to triage ({})", a.proposals.len() + hidden.proposals)}</h2>
                    {show_all(hidden.proposals, a.proposals.len(), "triage")}
                    <ProposalList items=a.proposals empty="No proposal is waiting." on_triage problems /></section>
                {(!a.parked.is_empty()).then(|| view! {
                    <details class="review-section"><summary>{format!("Parked ({})", a.parked.len())}</summary>
                        <ProposalList items=a.parked empty="" on_triage problems /></details>
                })}
            }.into_any(),
            None => view! {
                <section class="review-section">
                    <h2>"The agenda as the meeting saw it"</h2>
                    {match view.record_html.clone() {
                        Some(html) => view! { <div class="recorded" inner_html=html></div> }.into_any(),
                        None => view! { <p class="muted">"No review was recorded for this week."</p> }.into_any(),
                    }}
                </section>
            }.into_any(),
        }}
        <Meeting record=view.record live can_edit week save />
        <section class="review-section no-print">
            <h2>"Past reviews"</h2>
            {if past_list.is_empty() {
                view! { <p class="muted">"No review has been recorded yet."</p> }.into_any()
            } else {
                view! { <ul class="past-reviews">{past_list.into_iter().map(|s| view! {
                    <li><a href=format!("/review?week={}", s.week)>{s.week.to_string()}</a>
                        <span class="muted">{format!(" · {} · {} triaged", if s.attendees.is_empty() { "no attendees recorded".to_string() } else { s.attendees.join(", ") }, s.triaged)}</span></li>
                }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

/// The meeting record: editable this week by an editor, read-only for a past week or a viewer.
#[component]
fn Meeting(
    record: Option<crate::domain::review::record::ReviewRecord>,
    live: bool,
    can_edit: bool,
    week: IsoWeek,
    save: ServerAction<crate::api::review::SaveReview>,
) -> impl IntoView {
    let attendees = record
        .as_ref()
        .map(|r| r.attendees.join(", "))
        .unwrap_or_default();
    let notes = record.as_ref().map(|r| r.notes.clone()).unwrap_or_default();
    let triaged = record.map(|r| r.triage).unwrap_or_default();
    let form = RwSignal::new(ReviewForm {
        attendees: attendees.clone(),
        notes: notes.clone(),
    });
    let outcome = move || match save.value().get() {
        Some(Ok(())) => view! { <p class="muted" role="status">"Saved."</p> }.into_any(),
        Some(Err(e)) => view! { <Problems items=reasons(&e) /> }.into_any(),
        None => ().into_any(),
    };
    let editing = live && can_edit;
    let editor = editing.then(|| view! {
        <form class="meeting no-print" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(crate::api::review::SaveReview { week: week.to_string(), form: form.get_untracked() });
        }>
            <label class="field"><span class="label">"Attendees"</span>
                <input type="text" name="attendees" placeholder="Ana, Luis, Mo" prop:value=attendees.clone()
                    on:input=move |ev| form.update(|f| f.attendees = event_target_value(&ev)) /></label>
            <label class="field"><span class="label">"Notes"</span>
                <textarea name="notes" rows="5" prop:value=notes.clone()
                    on:input=move |ev| form.update(|f| f.notes = event_target_value(&ev))></textarea></label>
            <button type="submit" class="primary">"Save the review"</button>
            {outcome}
        </form>
    });
    view! {
        <section class="review-section meeting-record">
            <h2>"The meeting"</h2>
            {editor}
            <div class=if editing { "print-only" } else { "recorded-meeting" }>
                <p><strong>"Attendees: "</strong>{attendees}</p>
                <p class="notes">{notes}</p>
            </div>
            {(!live).then(|| view! { <p class="muted">"Past reviews are kept as recorded."</p> })}
            <h3>{format!("Triage outcomes ({})", triaged.len())}</h3>
            <ul class="triaged">
                {triaged.into_iter().map(|t| view! {
                    <li><strong>{t.outcome.done_label()}</strong>" "<a href=format!("/experiments/{}", t.key)>{t.title}</a>
                        {(!t.reason.is_empty()).then(|| format!(": {}", t.reason))}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
