//! The results section of the experiment page: its own resource, so recording counts, an upload
//! or a finished pull refreshes only this part.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::{JsonOut, ValueJson};

use super::pull::PullWatch;
use crate::api::results::record_results;
use crate::components::error_view::{reasons, Problems};
use crate::components::manual_entry::ManualEntry;
use crate::components::results_panel::AmendmentNotices;
use crate::components::upload_form::UploadForm;
use crate::domain::amendment::Amendment;
use crate::domain::brief::Brief;
use crate::domain::results::Counts;
use crate::error::AppError;

/// The results section as this page draws it. The panel (the sample-ratio check, each metric's
/// table, interval plot and sentence, the decision's conditions, the lift over time, segments)
/// is display only, so the server draws it and the browser receives its HTML: the analysis
/// types' decoders and the code that draws them stay out of the experiment page's piece of the
/// bundle. The hand-entry form is interactive, so it gets the brief and the latest counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsSection {
    pub panel_html: String,
    pub brief: Brief,
    pub latest_counts: Option<Counts>,
}

/// `get_results` (which checks the caller and applies the no-peeking rule), drawn.
#[server(output = JsonOut, input = Json, endpoint = "get_results_section")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_results_section(key: String) -> Result<ResultsSection, AppError> {
    use crate::components::results_panel::ResultsPanel;
    use leptos::tachys::view::RenderHtml;

    let view = crate::api::results::get_results(key).await?;
    Ok(ResultsSection {
        brief: view.brief.clone(),
        latest_counts: view.latest.as_ref().map(|s| s.counts.clone()),
        panel_html: view! { <ResultsPanel view /> }.to_html(),
    })
}

/// The section's data, and what reloads it.
pub type SectionResource = Resource<Result<ResultsSection, AppError>, ValueJson>;

/// The results section's resource for experiment `key`, reloaded when `version` moves. The
/// page creates it, not the section: the section is a lazily loaded piece (`results_part`),
/// and a resource created inside it came out of order when the page hydrated, so it found no
/// data from the server and the section failed to hydrate.
pub fn section_resource(key: String, version: RwSignal<u32>) -> SectionResource {
    crate::pages::resource(
        move || version.get(),
        move |_| get_results_section(key.clone()),
    )
}

/// The results section: its own resource, so recording counts refreshes only this part.
#[component]
pub fn Results(
    key: String,
    amendments: Vec<Amendment>,
    /// Whether the reader may record results (an editor): a viewer gets no pull, upload or
    /// hand-entry controls, which the server would refuse them.
    can_edit: bool,
    results: SectionResource,
    version: RwSignal<u32>,
) -> impl IntoView {
    let problems = RwSignal::new(Vec::<String>::new());
    let recorder = Action::new(move |(key, counts): &(String, Counts)| {
        let (key, counts) = (key.clone(), counts.clone());
        async move { record_results(key, counts).await }
    });
    Effect::new(move |_| match recorder.value().get() {
        Some(Ok(())) => {
            problems.set(Vec::new());
            version.update(|v| *v += 1);
        }
        Some(Err(e)) => problems.set(reasons(&e)),
        None => {}
    });
    // The upload form posts natively and comes back with its outcome in the query string.
    let query = leptos_router::hooks::use_query_map();
    let upload_key = key.clone();
    view! {
        <section class="results" id="results" aria-label="Results">
            <h2>"Results"</h2>
            <AmendmentNotices amendments />
            {move || query.with(|q| q.get("import_error")).map(|e| view! { <p class="refusal" role="alert" data-testid="import-error">{format!("Import failed, nothing was stored: {e}")}</p> })}
            {move || query.with(|q| q.get("imported")).map(|m| view! { <p class="notice" role="status" data-testid="imported">{m}</p> })}
            {can_edit.then(|| view! { <PullWatch key=key.clone() on_done=Callback::new(move |()| version.update(|v| *v += 1)) /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading results…"</p> }>
                {move || {
                    let key = key.clone();
                    let upload_key = upload_key.clone();
                    Suspend::new(async move {
                        match results.await {
                            Ok(ResultsSection { panel_html, brief, latest_counts: initial }) => {
                                let initial_open = initial.is_none();
                                let on_submit = Callback::new(move |counts: Counts| { recorder.dispatch((key.clone(), counts)); });
                                view! {
                                    <div class="results-panel" inner_html=panel_html></div>
                                    {can_edit.then(|| view! {
                                        <details class="entry" open=initial_open>
                                            <summary>"Type in results by hand"</summary>
                                            <ManualEntry brief initial on_submit problems />
                                        </details>
                                        <details class="entry">
                                            <summary>"Upload an export or a CSV"</summary>
                                            <UploadForm key=upload_key />
                                        </details>
                                    })}
                                }.into_any()
                            }
                            Err(e) => view! { <Problems items=reasons(&e) /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
