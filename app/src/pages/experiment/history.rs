//! The status history: every move with its time and note, oldest first.

use leptos::prelude::*;

use crate::components::format::timestamp;
use crate::domain::lifecycle::StatusChange;

#[component]
pub fn History(history: Vec<StatusChange>) -> impl IntoView {
    view! {
        <section class="history">
            <h2>"History"</h2>
            <ol>
                {history.into_iter().map(|h| view! {
                    <li>
                        <time>{timestamp(h.at)}</time> " "
                        {match h.from { Some(f) => format!("{} → {}", f.label(), h.to.label()), None => format!("created as {}", h.to.label().to_ascii_lowercase()) }}
                        {(!h.note.is_empty()).then(|| format!(" — {}", h.note))}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
