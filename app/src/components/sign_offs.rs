//! The sign-off box: product, engineering and design, each with who signed and when, or a button
//! for editors; and, while drafting, what still stands between the brief and launch.

use leptos::prelude::*;

use super::format::timestamp;
use crate::domain::signoff::{SignOff, SignOffGate, SignOffRole};

#[component]
pub fn SignOffBox(
    #[prop(into)] sign_offs: Signal<Vec<SignOff>>,
    /// The workspace makes sign-offs a launch gate.
    required: bool,
    /// Sign-offs can still change (proposed or ready) and the viewer is an editor.
    editable: bool,
    /// Ready: the box lists what launch still waits for.
    launch_next: bool,
    on_sign: Callback<SignOffRole>,
    on_withdraw: Callback<SignOffRole>,
    /// Where the buttons post before the script has loaded (`/experiments/{key}/sign-off`),
    /// with the brief's version as the page drew it; after, `on_sign` and `on_withdraw` run.
    action: String,
    version: i64,
    #[prop(into)] problem: Signal<Option<String>>,
) -> impl IntoView {
    let rows = SignOffRole::ALL
        .into_iter()
        .map(|role| {
            let action = action.clone();
            let record = move || sign_offs.with(|all| all.iter().find(|s| s.role == role).cloned());
            view! {
                <li data-role=role.slug() class:signed=move || record().is_some()>
                    <strong>{role.label()}</strong>
                    {move || match record() {
                        Some(s) => view! {
                            <span class="who">{format!("signed off by {} on {}", s.name, timestamp(s.at))}</span>
                            {editable.then(|| view! {
                                <SignOffForm action=action.clone() role version withdraw=true on_submit=on_withdraw label="Withdraw".to_owned() />
                            })}
                        }.into_any(),
                        None if editable => view! {
                            <span class="who muted">"not yet"</span>
                            <SignOffForm action=action.clone() role version withdraw=false on_submit=on_sign label=format!("Sign off as {}", role.slug()) />
                        }.into_any(),
                        None => view! { <span class="who muted">"no sign-off"</span> }.into_any(),
                    }}
                </li>
            }
        })
        .collect_view();
    let gate = move || {
        launch_next
            .then(|| {
                SignOffGate {
                    required,
                    recorded: sign_offs.get(),
                }
                .check()
            })
            .filter(|missing| !missing.is_empty())
    };
    view! {
        <section class="sign-offs" aria-label="Sign-offs" data-testid="sign-offs">
            <h2>"Sign-offs"</h2>
            <p class="muted">
                {if required {
                    "Launch needs product, engineering and design to sign off the brief. Any edit to the brief clears the sign-offs."
                } else {
                    "Sign-offs are optional in this workspace (an admin can require them in Settings). Any edit to the brief clears them."
                }}
            </p>
            <ul class="sign-off-list">{rows}</ul>
            {move || gate().map(|missing| view! {
                <div class="warning" data-testid="launch-gate">
                    <strong>"Before launch:"</strong>
                    <ul>{missing.into_iter().map(|m| view! { <li>{m.to_string()}</li> }).collect_view()}</ul>
                </div>
            })}
            {move || problem.get().map(|p| view! { <p class="refusal" role="alert">{p}</p> })}
        </section>
    }
}

/// One sign-off button's form: a plain post without the script, `on_submit` with it.
#[component]
fn SignOffForm(
    action: String,
    role: SignOffRole,
    version: i64,
    withdraw: bool,
    on_submit: Callback<SignOffRole>,
    label: String,
) -> impl IntoView {
    view! {
        <form class="inline" method="post" action=action
            on:submit=move |ev| { ev.prevent_default(); on_submit.run(role); }>
            <input type="hidden" name="role" value=role.slug() />
            <input type="hidden" name="version" value=version.to_string() />
            <input type="hidden" name="withdraw" value=withdraw.to_string() />
            <button type="submit" class=if withdraw { "small ghost" } else { "small" }>{label}</button>
        </form>
    }
}
