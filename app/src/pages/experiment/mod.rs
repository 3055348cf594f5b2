//! `/experiments/{key}`: the brief (edit while drafting, amend with a reason once launched), the
//! sign-offs, the lifecycle controls with every gate's reasons, and the status history. This
//! module loads the experiment and owns every action; `header`, `results` (with `pull`),
//! `conclusion` and `history` draw their parts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::experiments::{
    archive_experiment, get_experiment, propose_follow_up, save_brief, transition_experiment,
    ExperimentDetail,
};
use crate::api::signoffs::{amend_brief, get_sign_offs, sign_off, withdraw_sign_off, SignOffsView};
use crate::components::brief_view::BriefView;
use crate::components::error_view::{reasons, ErrorView, Problems};
use crate::components::sign_offs::SignOffBox;
use crate::domain::brief::Brief;
use crate::domain::lifecycle::{Status, TransitionRequest};
use crate::domain::signoff::SignOffRole;
use crate::error::AppError;

pub mod brief;
mod conclusion;
mod header;
mod history;
pub mod notice;
mod pull;
pub mod results;
pub mod results_part;

use brief::{BriefForm, BriefFormPiece};
use conclusion::ConclusionView;
use header::Header;
use history::History;
use notice::Notice;
use results_part::{ResultsPart, ResultsPartPiece};

#[component]
pub fn ExperimentPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let detail = crate::pages::resource(
        move || (key.get(), reload.get()),
        |(k, _)| async move {
            let detail = get_experiment(k.clone()).await?;
            Ok::<_, AppError>((detail, get_sign_offs(k).await?))
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok((d, sign_offs)) => view! { <Detail detail=d sign_offs reload /> }.into_any(),
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        crate::preload::piece("experiment_page");
                        view! { <Title text="Not found" /> <ErrorView error=e /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Whether the page in the browser holds what `selector` matches, drawn by the server: the page
/// about to hydrate opens with that piece (`brief::DRAWN`, `results_part::DRAWN`).
#[cfg(feature = "hydrate")]
pub fn drawn_by_server(selector: &str) -> bool {
    document().query_selector(selector).ok().flatten().is_some()
}

/// A part of the page whose code is a piece of its own (`brief`, `results_part`): `fallback`
/// until the piece is here, then what `load` draws with it.
fn lazy_part<Fut>(
    fallback: &'static str,
    load: impl Fn() -> Fut + Send + Sync + 'static,
) -> impl IntoView
where
    Fut: std::future::Future<Output = AnyView> + Send + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="loading">{fallback}</p> }>
            {move || Suspend::new(load())}
        </Suspense>
    }
}

/// The piece the server draws with the page's, if any: a draft's brief form for its editor, a
/// launched experiment's results. A first visit's head preloads the two together (one pack
/// after `verdict pack-bundle`), as the route's `preload` fetches them (`app.rs`).
#[cfg(feature = "ssr")]
fn drawn_with(status: Status, can_edit: bool) -> Option<&'static str> {
    if status.brief_editable() && can_edit {
        Some("brief_form")
    } else if status.accepts_results() {
        Some("results_part")
    } else {
        None
    }
}

#[component]
fn Detail(
    detail: ExperimentDetail,
    sign_offs: SignOffsView,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let ExperimentDetail {
        experiment: exp,
        history,
        notes_html,
        overlapping,
        computed_verdict,
    } = detail;
    let key = exp.key.to_string();
    let status = exp.status;
    #[cfg(feature = "ssr")]
    crate::preload::pieces("experiment_page", drawn_with(status, sign_offs.can_edit));
    let today = chrono::Utc::now().date_naive();

    // Moves: the outcome (reasons or warnings) is shown beside the controls.
    let move_result = RwSignal::new(None::<Result<Vec<String>, Vec<String>>>);
    let mover = {
        let key = key.clone();
        Action::new(move |req: &TransitionRequest| {
            let (key, req) = (key.clone(), req.clone());
            async move { transition_experiment(key, req).await }
        })
    };
    Effect::new(move |_| match mover.value().get() {
        Some(Ok(moved)) => {
            move_result.set(Some(Ok(moved.warnings)));
            reload.update(|n| *n += 1);
        }
        Some(Err(e)) => move_result.set(Some(Err(reasons(&e)))),
        None => {}
    });
    let on_close = Callback::new(move |req: TransitionRequest| {
        mover.dispatch(req);
    });

    // Saving: a conflict keeps the draft in the form and says so.
    let draft = RwSignal::new(exp.brief.clone());
    let version = RwSignal::new(exp.version);
    let save_status = RwSignal::new(None::<Result<String, String>>);
    let saver = {
        let key = key.clone();
        Action::new(move |(v, brief): &(i64, Brief)| {
            let (key, v, brief) = (key.clone(), *v, brief.clone());
            async move { save_brief(key, v, brief).await }
        })
    };
    // Sign-offs: kept in a signal and re-read after every change (a brief save may clear them),
    // without reloading the page and the form.
    let SignOffsView {
        sign_offs: signed,
        amendments,
        settings,
        can_edit,
    } = sign_offs;
    let signed = RwSignal::new(signed);
    let sign_problem = RwSignal::new(None::<String>);
    let refresh_sign_offs = {
        let key = key.clone();
        Action::new(move |_: &()| get_sign_offs(key.clone()))
    };
    Effect::new(move |_| {
        if let Some(Ok(view)) = refresh_sign_offs.value().get() {
            signed.set(view.sign_offs);
        }
    });
    let signer = {
        let key = key.clone();
        Action::new(move |(role, withdraw): &(SignOffRole, bool)| {
            let (key, role, withdraw) = (key.clone(), *role, *withdraw);
            async move {
                if withdraw {
                    withdraw_sign_off(key, role).await
                } else {
                    sign_off(key, version.get_untracked(), role)
                        .await
                        .map(|_| ())
                }
            }
        })
    };
    Effect::new(move |_| match signer.value().get() {
        Some(Ok(())) => {
            sign_problem.set(None);
            refresh_sign_offs.dispatch(());
        }
        Some(Err(e)) => sign_problem.set(Some(e.to_string())),
        None => {}
    });
    let on_sign = Callback::new(move |role| {
        signer.dispatch((role, false));
    });
    let on_withdraw = Callback::new(move |role| {
        signer.dispatch((role, true));
    });

    // Amending a running brief: its own mode, with a required reason; success reloads the page
    // so the results show the notice.
    let amending = RwSignal::new(false);
    let amend_status = RwSignal::new(None::<Result<String, String>>);
    let amender = {
        let key = key.clone();
        Action::new(move |(brief, reason): &(Brief, String)| {
            let (key, brief, reason) = (key.clone(), brief.clone(), reason.clone());
            async move { amend_brief(key, version.get_untracked(), brief, reason).await }
        })
    };
    Effect::new(move |_| match amender.value().get() {
        Some(Ok(_)) => reload.update(|n| *n += 1),
        Some(Err(e)) => amend_status.set(Some(Err(format!("Not amended: {e}")))),
        None => {}
    });
    let on_amend = Callback::new(move |req: (Brief, String)| {
        amend_status.set(None);
        amender.dispatch(req);
    });

    Effect::new(move |_| match saver.value().get() {
        Some(Ok(v)) => {
            version.set(v);
            save_status.set(Some(Ok("Saved.".into())));
            refresh_sign_offs.dispatch(());
        }
        Some(Err(AppError::Conflict(m))) => save_status.set(Some(Err(format!("Not saved: {m}")))),
        Some(Err(e)) => save_status.set(Some(Err(format!("Not saved: {e}")))),
        None => {}
    });
    let on_save = Callback::new(move |brief: Brief| {
        save_status.set(None);
        saver.dispatch((version.get_untracked(), brief));
    });

    // A viewer reads the page without the controls the server would refuse them.
    let transitions = if can_edit {
        status.allowed_transitions()
    } else {
        &[]
    };
    // Each button is a form that posts to the server (`server/src/page_forms.rs`), so it works
    // before the script has loaded; once it runs, the move goes through the server function and
    // its outcome shows here without a reload.
    let path = format!("/experiments/{}", crate::domain::url::encode(&key));
    let buttons = transitions
        .iter()
        .filter(|&&to| to != Status::Done)
        .map(|&to| {
            let label = status.action_label(to);
            view! {
                <form method="post" action=format!("{path}/move")
                    on:submit=move |ev| { ev.prevent_default(); mover.dispatch(TransitionRequest::to(to)); }>
                    <input type="hidden" name="to" value=to.slug() />
                    <button type="submit" class=if to == Status::Proposed { "ghost" } else { "primary" }>{label}</button>
                </form>
            }
        })
        .collect_view();
    // What a move posted without the script came back with.
    let query = leptos_router::hooks::use_query_map();
    let posted = move |notice: Notice| query.with(|q| notice.lines(q));
    let archived = exp.archived;
    let archiver = {
        let key = key.clone();
        Action::new(move |to: &bool| {
            let (key, to) = (key.clone(), *to);
            async move { archive_experiment(key, to).await }
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = archiver.value().get() {
            reload.update(|n| *n += 1);
        }
    });
    let follow_up = {
        let key = key.clone();
        Action::new(move |_: &()| {
            let key = key.clone();
            async move { propose_follow_up(key).await }
        })
    };
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(new_key)) = follow_up.value().get() {
            navigate(&format!("/experiments/{new_key}"), Default::default());
        }
    });
    // The close form opens when someone chooses to close (or arrives from the board's drop on
    // Done, `#close`), not as the first thing on every running experiment.
    let closing = RwSignal::new(false);
    Effect::new(move |_| {
        if window().location().hash().ok().as_deref() == Some("#close") {
            closing.set(true);
        }
    });
    // The results section's data (see `results::section_resource`).
    let results = status.accepts_results().then(|| {
        let version = RwSignal::new(0u32);
        (results::section_resource(key.clone(), version), version)
    });
    let treatments: Vec<String> = exp
        .brief
        .arms
        .iter()
        .skip(1)
        .map(|a| a.name.clone())
        .collect();

    view! {
        <Title text=exp.title.clone() />
        <article class="experiment" data-status=status.slug()>
            <Header exp=exp.clone() overlapping decision_due=exp.decision_due(today) />

            // A viewer has no controls here: the section shows only for a conclusion or the
            // archived mark, not as an empty box.
            <section class="lifecycle" aria-label="Status"
                hidden=!(can_edit || archived || exp.conclusion.is_some())>
                <div class="buttons">
                    {buttons}
                    {(status == Status::Done && can_edit).then(|| view! {
                        <form method="post" action=format!("{path}/archive")
                            on:submit=move |ev| { ev.prevent_default(); archiver.dispatch(!archived); }>
                            <input type="hidden" name="archived" value=(!archived).to_string() />
                            <button type="submit" class="ghost">
                                {if archived { "Restore to the board" } else { "Archive" }}
                            </button>
                        </form>
                    })}
                    {archived.then(|| view! { <span class="badge">"Archived"</span> })}
                    {(status == Status::Running && can_edit).then(|| view! {
                        <button type="button" class="primary" aria-expanded=move || closing.get().to_string()
                            on:click=move |_| closing.update(|open| *open = !*open)>
                            {move || if closing.get() { "Cancel closing" } else { "Close with a verdict…" }}
                        </button>
                    })}
                </div>
                {move || move_result.get()
                    .or_else(|| posted(Notice::MoveRefused).map(Err))
                    .or_else(|| posted(Notice::MoveWarned).map(Ok))
                    .map(|r| match r {
                        Err(reasons) => view! { <div class="refusal" data-testid="move-refusal"><strong>"Not moved:"</strong><Problems items=reasons /></div> }.into_any(),
                        Ok(warnings) if !warnings.is_empty() => view! { <div class="warning" role="status"><Problems items=warnings /></div> }.into_any(),
                        Ok(_) => ().into_any(),
                    })}
                {move || (status == Status::Running && can_edit && closing.get()).then(|| view! {
                    <ResultsPartPiece part=ResultsPart::Close { treatments: treatments.clone(), planned_end: exp.brief.planned_end, today, computed: computed_verdict.clone(), on_close } />
                })}
                // A next idea that could not become a proposal says why (with the script, from
                // the action; without, from the form's answer).
                {move || match follow_up.value().get() {
                    Some(Err(e)) => Some(reasons(&e)),
                    _ => posted(Notice::FollowUpRefused),
                }.map(|items| view! {
                    <div class="refusal" data-testid="follow-up-refusal"><strong>"Not proposed:"</strong><Problems items /></div>
                })}
                {exp.conclusion.clone().map(|c| view! {
                    <ConclusionView conclusion=c can_propose=can_edit follow_up_action=format!("{path}/follow-up") on_follow_up=Callback::new(move |()| { follow_up.dispatch(()); }) />
                })}
            </section>

            {results.map(|(results, version)| view! { <ResultsPartPiece part=ResultsPart::Results { key: key.clone(), amendments: amendments.clone(), can_edit, results, version } /> })}

            <section class="brief">
                <h2>"Brief"</h2>
                {if status.brief_editable() && can_edit {
                    let form = BriefForm::Draft { draft, on_save, saving: saver.pending().into(), status: save_status.into() };
                    view! { <BriefFormPiece form /> }.into_any()
                } else {
                    let brief = exp.brief.clone();
                    let notes_html = notes_html.clone();
                    let amendable = status == Status::Running && can_edit;
                    view! {
                        {move || if amending.get() {
                            let form = BriefForm::Amend { draft, on_amend, on_cancel: Callback::new(move |()| amending.set(false)), saving: amender.pending().into(), status: amend_status.into() };
                            view! { <BriefFormPiece form /> }.into_any()
                        } else {
                            view! {
                                <p class="locked">{match status {
                                    Status::Running => "Locked at launch: the decision rule stays the one agreed before the data came in. An editor can amend it with a written reason; amendments are shown with the results.",
                                    Status::Done => "Locked: the experiment is done, so its brief stays as it was judged.",
                                    // A viewer reading a draft.
                                    Status::Proposed | Status::Ready => "A draft: editors change this brief until launch. This is how it reads now.",
                                }}</p>
                                {amendable.then(|| view! {
                                    <button type="button" class="ghost" on:click=move |_| amending.set(true)>"Amend brief"</button>
                                })}
                                <BriefView brief=brief.clone() notes_html=notes_html.clone() />
                            }.into_any()
                        }}
                    }.into_any()
                }}
            </section>

            {(status.brief_editable() || !signed.with_untracked(Vec::is_empty)).then(|| view! {
                <SignOffBox sign_offs=Signal::from(signed) required=settings.require_sign_offs
                    editable=status.brief_editable() && can_edit launch_next=status == Status::Ready
                    on_sign on_withdraw action=format!("{path}/sign-off") version=exp.version
                    problem=Signal::derive(move || sign_problem.get().or_else(|| posted(Notice::SignOffRefused).map(|lines| lines.join(" ")))) />
            })}

            <History history />
        </article>
    }
}
