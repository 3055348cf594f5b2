//! `/login` and `/setup`: plain HTML forms posted to the server's `/auth/*` handlers, so signing
//! in works before (and without) the wasm. Errors arrive as codes in the URL and are turned into
//! messages here; free text from a URL is never shown.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::account::MIN_PASSWORD_CHARS;

fn login_message(code: &str, wait: &str) -> Option<String> {
    Some(match code {
        "invalid" => "That email and password do not match an active account.".to_owned(),
        "limited" => format!(
            "Too many sign-in attempts. Wait {} seconds and try again.",
            wait.parse::<u64>().unwrap_or(30)
        ),
        "set_up" => "Verdict is already set up: sign in with your account.".to_owned(),
        "busy" => {
            "The server is busy checking other sign-ins. Try again in a few seconds.".to_owned()
        }
        _ => return None,
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let message = login_message(&param("error"), &param("wait"));
    let signed_out = !param("signed_out").is_empty();
    view! {
        <Title text="Sign in" />
        <section class="auth-card">
            <h1>"Sign in to Verdict"</h1>
            {signed_out.then(|| view! { <p class="muted" role="status">"You are signed out."</p> })}
            {message.map(|m| view! { <p class="problems" role="alert">{m}</p> })}
            <form method="post" action="/auth/login" class="stack">
                <input type="hidden" name="next" value=param("next") />
                <label class="field"><span class="label">"Email"</span>
                    <input type="email" name="email" autocomplete="username" required value=param("email") />
                </label>
                <label class="field"><span class="label">"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p class="muted">"No account? Ask an admin of your workspace to add you."</p>
        </section>
    }
}

fn setup_message(field: &str) -> Option<String> {
    Some(match field {
        "email" => "Enter a valid email address.".to_owned(),
        "name" => "Enter your name: it is shown on sign-offs and in the audit log.".to_owned(),
        "password" => format!("Use a password of at least {MIN_PASSWORD_CHARS} characters that is hard to guess: not common words, keyboard patterns, or your name or email."),
        "confirm" => "The two passwords differ.".to_owned(),
        _ => return None,
    })
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let problems: Vec<String> = param("error")
        .split(',')
        .filter_map(setup_message)
        .collect();
    view! {
        <Title text="Set up" />
        <section class="auth-card">
            <h1>"Set up Verdict"</h1>
            <p>"Create the first account. It will be an admin: it can add people, give them roles, and create API tokens."</p>
            {(!problems.is_empty()).then(|| view! {
                <ul class="problems" role="alert">{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            })}
            <form method="post" action="/auth/setup" class="stack">
                <label class="field"><span class="label">"Your name"</span>
                    <input type="text" name="name" autocomplete="name" required value=param("name") />
                </label>
                <label class="field"><span class="label">"Email"</span>
                    <input type="email" name="email" autocomplete="username" required value=param("email") />
                </label>
                <label class="field"><span class="label">"Password"</span>
                    <input type="password" name="password" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS.to_string() />
                    <small class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters.")}</small>
                </label>
                <label class="field"><span class="label">"Password again"</span>
                    <input type="password" name="confirm" autocomplete="new-password" required />
                </label>
                <button type="submit" class="primary">"Create the admin account"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_codes_become_messages() {
        assert!(login_message("invalid", "")
            .unwrap()
            .contains("do not match"));
        assert!(login_message("limited", "12")
            .unwrap()
            .contains("Wait 12 seconds"));
        assert_eq!(login_message("<script>alert(1)</script>", ""), None);
        assert_eq!(setup_message("anything else"), None);
    }
}
