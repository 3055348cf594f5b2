use leptos::prelude::*;

use crate::domain::board::{Card, Schedule};
use crate::domain::lifecycle::Status;

/// One experiment on the board. Moves are buttons (keyboard reachable) and drag and drop; closing
/// needs a verdict, so it links to the experiment page's close form instead.
#[component]
pub fn BoardCard(
    card: Card,
    /// Whether the reader may move it: without, no move buttons and no dragging.
    movable: bool,
    /// Called with (key, target status) when a move button is pressed.
    on_move: Callback<(String, Status)>,
    /// Reasons the last move of this card was refused, if it was.
    refusal: Signal<Option<Vec<String>>>,
) -> impl IntoView {
    let key = card.key.clone();
    let href = format!("/experiments/{}", card.key);
    let pct = (card.completeness * 100.0).round() as u32;
    let schedule = card.schedule.map(|s| {
        let class = if matches!(s, Schedule::Overdue(_)) {
            "badge overdue"
        } else {
            "badge"
        };
        view! { <span class=class>{s.describe()}</span> }
    });
    let moves = card.status.allowed_transitions().iter().map(|&to| {
        let label = card.status.action_label(to);
        if to == Status::Done {
            let close = format!("/experiments/{}#close", card.key);
            view! { <a class="button small" href=close>{label}</a> }.into_any()
        } else {
            let key = key.clone();
            view! {
                <button type="button" class="small" on:click=move |_| on_move.run((key.clone(), to))>
                    {label}
                </button>
            }
            .into_any()
        }
    }).collect_view();
    let drag_key = key.clone();
    view! {
        <article
            class="card"
            draggable=if movable { "true" } else { "false" }
            data-key=key.clone()
            on:dragstart=move |ev: leptos::ev::DragEvent| {
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", &drag_key);
                }
            }
        >
            <h3><a href=href>{card.title.clone()}</a></h3>
            <p class="key"><code>{card.key.clone()}</code></p>
            <p class="meta">{card.owner.clone()} " · " {card.team.clone()}
                {(!card.surface.is_empty()).then(|| view! { " · " <span class="surface">{card.surface.clone()}</span> })}
            </p>
            <div class="completeness" title=format!("Brief {pct}% complete")>
                <meter min="0" max="100" value=pct></meter>
                <span>{format!("brief {pct}%")}</span>
            </div>
            {schedule}
            {card.verdict.clone().map(|v| {
                let kind = card.verdict_kind.map(|k| k.slug()).unwrap_or("none");
                view! { <span class=format!("badge verdict verdict-{kind}")>{v}</span> }
            })}
            {(!card.tags.is_empty()).then(|| view! {
                <p class="tags">{card.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</p>
            })}
            {movable.then(|| view! { <div class="moves">{moves}</div> })}
            {move || refusal.get().map(|reasons| view! {
                <div class="refusal" role="alert">
                    <strong>"Not moved:"</strong>
                    <ul>{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            })}
        </article>
    }
}
