//! The board `/`: four columns, filters in the URL, moves by button or drag and drop.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::experiments::{get_board, load_demo, transition_experiment};
use crate::components::card::BoardCard;
use crate::components::error_view::{reasons, ErrorView};
use crate::domain::board::{cursor_param, Board, BoardFilter, Cursor, Cursors};
use crate::domain::lifecycle::{Status, TransitionRequest};
use crate::domain::url::query_string;

#[component]
pub fn BoardPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        BoardFilter {
            team: get("team"),
            owner: get("owner"),
            tag: get("tag"),
            q: get("q"),
            archived: get("archived") == "true",
        }
    });
    // How far each column is shown: `more_done=...` keeps "show more" in the URL.
    let until = Memo::new(move |_| {
        let q = query.read();
        Status::ALL.map(|s| q.get(&cursor_param(s)).and_then(|v| Cursor::parse(&v)))
    });
    // (key, refusal reasons) of the last refused move, shown next to that card.
    let refusal = RwSignal::new(None::<(String, Vec<String>)>);
    let notice = RwSignal::new(None::<String>);
    let mover = Action::new(move |(key, to): &(String, Status)| {
        let (key, to) = (key.clone(), *to);
        async move {
            let request = TransitionRequest::to(to);
            (key.clone(), transition_experiment(key, request).await)
        }
    });
    Effect::new(move |_| {
        if let Some((key, result)) = mover.value().get() {
            match result {
                Ok(moved) => {
                    refusal.set(None);
                    notice.set(Some(if moved.warnings.is_empty() {
                        format!("{} moved to {}", moved.key, moved.status.label())
                    } else {
                        format!(
                            "{} moved to {}. Warning: {}",
                            moved.key,
                            moved.status.label(),
                            moved.warnings.join("; ")
                        )
                    }));
                }
                Err(e) => {
                    notice.set(None);
                    refusal.set(Some((key, reasons(&e))));
                }
            }
        }
    });
    let demo = ServerAction::<crate::api::experiments::LoadDemo>::new();
    let board = crate::pages::resource(
        move || {
            (
                filter.get(),
                until.get(),
                mover.version().get(),
                demo.version().get(),
            )
        },
        |(f, until, _, _)| get_board(f, Some(until)),
    );
    let on_move = Callback::new(move |(key, to): (String, Status)| {
        mover.dispatch((key, to));
    });
    let _ = load_demo; // referenced through ServerAction above

    view! {
        <Title text="Board" />
        <Transition fallback=|| view! { <p class="loading">"Loading the board…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! { <BoardView board=b filter=filter.get_untracked() until=until.get_untracked() on_move refusal notice demo /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BoardView(
    board: Board,
    filter: BoardFilter,
    until: Cursors,
    on_move: Callback<(String, Status)>,
    refusal: RwSignal<Option<(String, Vec<String>)>>,
    notice: RwSignal<Option<String>>,
    demo: ServerAction<crate::api::experiments::LoadDemo>,
) -> impl IntoView {
    if board.total == 0 {
        return view! {
            <section class="empty">
                <h1>"No experiments yet"</h1>
                <p>"Propose your first experiment, or load a demo program of about thirty experiments to look around."</p>
                <p>
                    <a class="button" href="/experiments/new">"Propose an experiment"</a>
                    " "
                    <button type="button" on:click=move |_| { demo.dispatch(crate::api::experiments::LoadDemo {}); }>
                        "Load the demo program"
                    </button>
                </p>
            </section>
        }
        .into_any();
    }
    let navigate = use_navigate();
    let movable = board.can_move;
    let columns = Status::ALL.map(|status| {
        let column = board.column(status).cloned().unwrap_or_default();
        let (cards, count) = (column.cards, column.count);
        let shown = cards.len();
        // "Show more" keeps the filters and the other columns' cursors, and moves this one on.
        let more_href = column.more.map(|next| {
            let mut pairs: Vec<(String, String)> = vec![
                ("team".into(), filter.team.clone()),
                ("owner".into(), filter.owner.clone()),
                ("tag".into(), filter.tag.clone()),
                ("q".into(), filter.q.clone()),
                (
                    "archived".into(),
                    if filter.archived {
                        "true".into()
                    } else {
                        String::new()
                    },
                ),
            ];
            for (s, c) in Status::ALL.iter().zip(&until) {
                let value = if *s == status {
                    Some(next.to_param())
                } else {
                    c.as_ref().map(Cursor::to_param)
                };
                pairs.push((cursor_param(*s), value.unwrap_or_default()));
            }
            format!(
                "/?{}",
                query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            )
        });
        let navigate = navigate.clone();
        let on_drop = move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            if !movable {
                return;
            }
            let Some(key) = ev
                .data_transfer()
                .and_then(|dt| dt.get_data("text/plain").ok())
            else {
                return;
            };
            if status == Status::Done {
                // Closing needs a verdict and a summary: open the close form.
                navigate(&format!("/experiments/{key}#close"), Default::default());
            } else {
                on_move.run((key, status));
            }
        };
        view! {
            <section
                class=format!("column column-{}", status.slug())
                aria-label=status.label()
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <h2>{status.label()} <span class="count">{count}</span></h2>
                {cards.into_iter().map(|card| {
                    let key = card.key.clone();
                    let card_refusal = Signal::derive(move || {
                        refusal.get().filter(|(k, _)| *k == key).map(|(_, r)| r)
                    });
                    view! { <BoardCard card movable on_move refusal=card_refusal /> }
                }).collect_view()}
                {(count == 0).then(|| view! { <p class="empty-column">"Nothing here"</p> })}
                {more_href.map(|href| view! {
                    <a class="show-more" href=href data-testid=format!("more-{}", status.slug())>
                        {format!("Show more ({shown} of {count} shown)")}
                    </a>
                })}
            </section>
        }
    });
    view! {
        <div class="board-head">
            <h1>"Backlog"</h1>
            <FilterBar board=board.clone() filter />
        </div>
        {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <div class="board">{columns.into_iter().collect_view()}</div>
    }
    .into_any()
}

#[component]
fn FilterBar(board: Board, filter: BoardFilter) -> impl IntoView {
    let select =
        |name: &'static str, label: &'static str, options: Vec<String>, current: String| {
            view! {
                <label>
                    {label}
                    <select name=name>
                        <option value="" selected=current.is_empty()>"All"</option>
                        {options.into_iter().map(|o| {
                            let selected = o == current;
                            view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        };
    let active = !filter.is_empty();
    let matching = board.matching();
    view! {
        <Form method="GET" action="/" attr:class="filters">
            {select("team", "Team", board.teams, filter.team.clone())}
            {select("owner", "Owner", board.owners, filter.owner.clone())}
            {select("tag", "Tag", board.tags, filter.tag.clone())}
            <label>"Search" <input type="search" name="q" value=filter.q.clone() placeholder="title, key, brief…" /></label>
            <label class="check"><input type="checkbox" name="archived" value="true" checked=filter.archived />"Archived"</label>
            <button type="submit">"Filter"</button>
            {active.then(|| view! { <a href="/" class="clear">"Clear"</a> })}
            <span class="shown">{format!("{matching} matching")}</span>
        </Form>
    }
}
