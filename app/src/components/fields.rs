//! Form fields that parse as the person types. Text stays exactly as typed (no cursor jumps); the
//! parsed value goes to the brief, and a field that does not parse says so beside itself.

use leptos::prelude::*;

/// Parses "5", "5.5", "5,5" (decimal comma) or "" (None); Err for anything else.
pub fn parse_number(raw: &str) -> Result<Option<f64>, String> {
    let t = raw.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| format!("'{}' is not a number", raw.trim()))
}

/// A number input. `scale` converts what is typed into what is stored (0.01 for percent fields).
#[component]
pub fn NumberField(
    label: &'static str,
    #[prop(into)] name: String,
    initial: String,
    #[prop(optional)] suffix: &'static str,
    #[prop(default = 1.0)] scale: f64,
    on_value: Callback<Option<f64>>,
    #[prop(optional)] hint: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let parse_error = RwSignal::new(None::<String>);
    view! {
        <label class="field" class:invalid=move || error.get().is_some() || parse_error.get().is_some()>
            <span class="label">{label}</span>
            <span class="input-row">
                <input
                    type="text"
                    inputmode="decimal"
                    name=name
                    value=initial
                    on:input=move |ev| {
                        match parse_number(&event_target_value(&ev)) {
                            Ok(v) => {
                                parse_error.set(None);
                                on_value.run(v.map(|v| v * scale));
                            }
                            Err(e) => parse_error.set(Some(e)),
                        }
                    }
                />
                {(!suffix.is_empty()).then(|| view! { <span class="suffix">{suffix}</span> })}
            </span>
            {(!hint.is_empty()).then(|| view! { <small class="hint">{hint}</small> })}
            {move || parse_error.get().or_else(|| error.get()).map(|e| view! { <small class="field-error">{e}</small> })}
        </label>
    }
}

/// A one-line text input bound to a callback.
#[component]
pub fn TextField(
    label: &'static str,
    #[prop(into)] name: String,
    initial: String,
    on_text: Callback<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || error.get().is_some()>
            <span class="label">{label}</span>
            <input type="text" name=name value=initial placeholder=placeholder on:input=move |ev| on_text.run(event_target_value(&ev)) />
            {move || error.get().map(|e| view! { <small class="field-error">{e}</small> })}
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers_parse_with_dot_or_comma_and_blank_is_none() {
        assert_eq!(parse_number(" 5,5 "), Ok(Some(5.5)));
        assert_eq!(parse_number(""), Ok(None));
        assert!(parse_number("5%")
            .unwrap_err()
            .contains("'5%' is not a number"));
        assert!(parse_number("inf").is_err());
    }
}
