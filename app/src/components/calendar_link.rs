//! The subscribe link to a team's secret calendar feed (`/calendar/<secret>.ics`), and the
//! editor's buttons that create it or rotate its secret (explicit POSTs: showing a page never
//! writes).

use leptos::prelude::*;

use crate::api::program::{calendar_feed_url, CreateCalendarFeed};

/// `team` empty means every team.
#[component]
pub fn CalendarLink(team: String, label: &'static str) -> impl IntoView {
    let create = ServerAction::<CreateCalendarFeed>::new();
    let team_for_form = StoredValue::new(team.clone());
    let url = Resource::new(
        move || (team.clone(), create.version().get()),
        |(team, _)| calendar_feed_url(team),
    );
    view! {
        <Suspense fallback=move || view! { <span>{label}</span> }>
            {move || Suspend::new(async move {
                let team = team_for_form.get_value();
                let error = create.value().get().and_then(|r| r.err()).map(|e| e.to_string());
                let body = match url.await {
                    Ok(Some(href)) => view! {
                        <a href=href data-testid="calendar-feed"
                            title="Subscribe from your calendar app: copy this link (it works without signing in, so share it only with your team)">
                            {label}
                        </a>
                        " "
                        <ActionForm action=create attr:class="inline">
                            <input type="hidden" name="team" value=team.clone() />
                            <input type="hidden" name="rotate" value="true" />
                            <button type="submit" class="link" data-testid="calendar-rotate"
                                title="Make a new secret link: everyone subscribed to the old one stops receiving updates">
                                "new link"
                            </button>
                        </ActionForm>
                    }.into_any(),
                    Ok(None) => view! {
                        <ActionForm action=create attr:class="inline">
                            <input type="hidden" name="team" value=team.clone() />
                            <input type="hidden" name="rotate" value="false" />
                            <button type="submit" class="link" data-testid="calendar-create"
                                title="Create a secret subscribe link for calendar apps">
                                {label}": create link"
                            </button>
                        </ActionForm>
                    }.into_any(),
                    Err(_) => view! { <span>{label}</span> }.into_any(),
                };
                view! {
                    {body}
                    {error.map(|e| view! { <span class="error" role="alert">" "{e}</span> })}
                }.into_any()
            })}
        </Suspense>
    }
}
