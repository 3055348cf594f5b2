//! Uploading results: a plain multipart form, so it works before hydration; the server streams
//! the file and redirects back with the outcome.

use leptos::prelude::*;

#[component]
pub fn UploadForm(key: String) -> impl IntoView {
    view! {
        <form class="upload" method="post" enctype="multipart/form-data" action=format!("/experiments/{key}/import")>
            <h3>"Upload results"</h3>
            <label class="field"><span class="label">"File format"</span>
                <select name="format">
                    <option value="export">"Raw event export (newline-delimited JSON, plain or .gz)"</option>
                    <option value="csv">"CSV of aggregates: arm,users,metric,conversions,sum,sum_squares"</option>
                </select>
            </label>
            <label class="field"><span class="label">"File"</span>
                <input type="file" name="file" required=true accept=".json,.jsonl,.ndjson,.gz,.csv,.txt" />
            </label>
            <button type="submit">"Upload"</button>
        </form>
    }
}
