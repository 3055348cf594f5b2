//! The parts of the experiment page that only a launched experiment has (the results section
//! with its pull, upload and hand-entry controls, and the close form) are a piece of the bundle
//! of their own, as the brief form is (`brief.rs`): a draft, the page an editor works in most,
//! never downloads them. When the server drew the results, the route fetches this piece with
//! the page's before the page hydrates (`app.rs`), so the section hydrates in place on its
//! first poll. It is one of `app::preload::FOLLOWERS`: `verdict pack-bundle` packs it with the
//! page's piece for a launched experiment's first visit, and on its own with only what the
//! page's pack lacks.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::results::{Results, SectionResource};
use crate::components::close_form::CloseForm;
use crate::domain::amendment::Amendment;
use crate::domain::lifecycle::TransitionRequest;
use crate::domain::verdict::Verdict;

/// Which part, with what the page wires it to.
#[derive(Clone)]
pub enum ResultsPart {
    Results {
        key: String,
        amendments: Vec<Amendment>,
        can_edit: bool,
        results: SectionResource,
        version: RwSignal<u32>,
    },
    Close {
        treatments: Vec<String>,
        planned_end: Option<NaiveDate>,
        today: NaiveDate,
        computed: Option<Verdict>,
        on_close: Callback<TransitionRequest>,
    },
}

#[leptos::lazy]
fn results_part(part: ResultsPart) -> AnyView {
    match part {
        ResultsPart::Results {
            key,
            amendments,
            can_edit,
            results,
            version,
        } => view! { <Results key amendments can_edit results version /> }.into_any(),
        ResultsPart::Close {
            treatments,
            planned_end,
            today,
            computed,
            on_close,
        } => view! { <CloseForm treatments planned_end today computed on_close /> }.into_any(),
    }
}

/// Fetches this piece (in the browser; the server has every piece).
pub async fn preload() {
    #[cfg(feature = "hydrate")]
    __preload_results_part().await;
}

/// What the results section draws: the page about to hydrate is a launched experiment's when
/// this matches.
pub const DRAWN: &str = "section.results";

/// The part, drawn once its piece is here.
#[component]
pub fn ResultsPartPiece(part: ResultsPart) -> impl IntoView {
    super::lazy_part("Loading…", move || results_part(part.clone()))
}
