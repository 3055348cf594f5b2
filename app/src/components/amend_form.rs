//! Amending a running experiment's brief: the brief form plus a required reason. The server diffs
//! the briefs and logs the amendment; the results view shows it to everyone who reads them.

use leptos::prelude::*;

use super::brief_editor::BriefEditor;
use crate::domain::brief::Brief;

#[component]
pub fn AmendForm(
    draft: RwSignal<Brief>,
    /// The amended brief and the reason.
    on_amend: Callback<(Brief, String)>,
    on_cancel: Callback<()>,
    saving: Signal<bool>,
    #[prop(into)] status: Signal<Option<Result<String, String>>>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let on_save = Callback::new(move |brief: Brief| {
        let why = reason.get_untracked();
        if why.trim().is_empty() {
            missing.set(true);
        } else {
            missing.set(false);
            on_amend.run((brief, why));
        }
    });
    view! {
        <div class="amend-form" data-testid="amend-form">
            <p class="warning">
                "Changing a running test's plan is how teams fool themselves. An amendment needs a written reason; it is logged and shown with the results."
            </p>
            <label class="field" class:invalid=move || missing.get()>
                <span class="label">"Reason for the amendment (required)"</span>
                <textarea name="amend_reason" rows="3" placeholder="why the plan changes mid-test"
                    on:input=move |ev| { reason.set(event_target_value(&ev)); missing.set(false); }></textarea>
                {move || missing.get().then(|| view! {
                    <small class="field-error" role="alert">"Write the reason for this amendment first: it is shown with the results."</small>
                })}
            </label>
            <BriefEditor draft on_save saving status submit_label="Save amendment" />
            <button type="button" class="ghost" on:click=move |_| on_cancel.run(())>"Cancel the amendment"</button>
        </div>
    }
}
