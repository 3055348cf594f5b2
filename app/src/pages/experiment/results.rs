//! The results section of the experiment page: its own resource, so recording counts, an upload
//! or a finished pull refreshes only this part.

use leptos::prelude::*;

use super::pull::PullWatch;
use crate::api::results::{get_results, record_results};
use crate::components::error_view::{reasons, Problems};
use crate::components::manual_entry::ManualEntry;
use crate::components::results_panel::{AmendmentNotices, ResultsPanel};
use crate::components::upload_form::UploadForm;
use crate::domain::amendment::Amendment;
use crate::domain::results::Counts;

/// The results section: its own resource, so recording counts refreshes only this part.
#[component]
pub fn Results(key: String, amendments: Vec<Amendment>) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let results = {
        let key = key.clone();
        Resource::new(move || version.get(), move |_| get_results(key.clone()))
    };
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
            <PullWatch key=key.clone() on_done=Callback::new(move |()| version.update(|v| *v += 1)) />
            <Transition fallback=|| view! { <p class="loading">"Loading results…"</p> }>
                {move || {
                    let key = key.clone();
                    let upload_key = upload_key.clone();
                    Suspend::new(async move {
                        match results.await {
                            Ok(view) => {
                                let brief = view.brief.clone();
                                let initial_open = view.latest.is_none();
                                let initial = view.latest.as_ref().map(|s| s.counts.clone());
                                let on_submit = Callback::new(move |counts: Counts| { recorder.dispatch((key.clone(), counts)); });
                                view! {
                                    <ResultsPanel view />
                                    <details class="entry" open=initial_open>
                                        <summary>"Type in results by hand"</summary>
                                        <ManualEntry brief initial on_submit problems />
                                    </details>
                                    <details class="entry">
                                        <summary>"Upload an export or a CSV"</summary>
                                        <UploadForm key=upload_key />
                                    </details>
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
