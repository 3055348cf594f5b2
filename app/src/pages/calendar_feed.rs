//! Loads a team's calendar feed link for the program and review pages, and reloads it after
//! the create / rotate action; `components::calendar_link` draws it.

use leptos::prelude::*;

use crate::api::program::{calendar_feed_url, CreateCalendarFeed};
use crate::components::calendar_link::CalendarLink;

/// `team` empty means every team.
#[component]
pub fn CalendarFeed(team: String, label: &'static str) -> impl IntoView {
    let create = ServerAction::<CreateCalendarFeed>::new();
    let for_link = StoredValue::new(team.clone());
    let url = crate::pages::resource(
        move || (team.clone(), create.version().get()),
        |(team, _)| calendar_feed_url(team),
    );
    view! {
        <Suspense fallback=move || view! { <span>{label}</span> }>
            {move || Suspend::new(async move {
                match url.await {
                    Ok(url) => view! {
                        <CalendarLink url team=for_link.get_value() label create />
                    }
                    .into_any(),
                    Err(_) => view! { <span>{label}</span> }.into_any(),
                }
            })}
        </Suspense>
    }
}
