use leptos::prelude::*;

use crate::error::AppError;

/// Shows an error in words and, during server rendering, sets the response status to match.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.http_status());
    }
    let title = match &error {
        AppError::NotFound(_) => "Not found",
        AppError::Internal | AppError::Transport(_) => "Something went wrong",
        _ => "That did not work",
    };
    view! {
        <section class="error-page" role="alert">
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <p><a href="/">"Back to the board"</a></p>
        </section>
    }
}

/// An inline list of problems next to a form or a card.
#[component]
pub fn Problems(#[prop(into)] items: Vec<String>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <ul class="problems" role="alert">
                {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
            </ul>
        }
    })
}

/// The reasons an error carries, one line each (defined beside the error, so the server's
/// plain-form handlers list them the same way).
pub use crate::error::reasons;
