//! The brief's form (drafting, and amending a running brief) is a piece of the bundle of its
//! own: it is the page's largest part (the fields, the metric rows, the live calculator: about
//! 47 KB of brotli), and most visits only read. A draft an editor may change opens with it:
//! when the server drew the form, the route fetches this piece before the page hydrates
//! (`app.rs`), so the form below is ready on its first poll and hydrates in place. Elsewhere
//! it arrives when asked for: "Amend brief", or a draft reached by a link (a follow-up, the
//! board), which shows "Loading the form…" for that moment.
//! It is one of `app::preload::FOLLOWERS`: `verdict pack-bundle` packs it with the page's piece
//! for a draft's first visit, and on its own with only what the page's pack lacks.

use leptos::prelude::*;

use crate::components::amend_form::AmendForm;
use crate::components::brief_editor::BriefEditor;
use crate::domain::brief::Brief;

type Status = Signal<Option<Result<String, String>>>;

/// Which form, with what the page wires it to.
#[derive(Clone)]
pub enum BriefForm {
    Draft {
        draft: RwSignal<Brief>,
        on_save: Callback<Brief>,
        saving: Signal<bool>,
        status: Status,
    },
    Amend {
        draft: RwSignal<Brief>,
        on_amend: Callback<(Brief, String)>,
        on_cancel: Callback<()>,
        saving: Signal<bool>,
        status: Status,
    },
}

#[leptos::lazy]
fn brief_form(form: BriefForm) -> AnyView {
    match form {
        BriefForm::Draft {
            draft,
            on_save,
            saving,
            status,
        } => view! { <BriefEditor draft on_save saving status /> }.into_any(),
        BriefForm::Amend {
            draft,
            on_amend,
            on_cancel,
            saving,
            status,
        } => view! { <AmendForm draft on_amend on_cancel saving status /> }.into_any(),
    }
}

/// Fetches the form's piece (in the browser; the server has every piece).
pub async fn preload() {
    #[cfg(feature = "hydrate")]
    __preload_brief_form().await;
}

/// What the form draws: the page about to hydrate opens with the form when this matches.
pub const DRAWN: &str = "form.brief-editor";

/// The form, drawn once its piece is here.
#[component]
pub fn BriefFormPiece(form: BriefForm) -> impl IntoView {
    super::lazy_part("Loading the form…", move || brief_form(form.clone()))
}
