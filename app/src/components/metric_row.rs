//! One metric of the brief: its name, event and kind, and the inputs only some kinds have (the
//! property a sum adds up, the retention day, a ratio's denominator, a winsorizing cap).

use leptos::prelude::*;

use super::brief_editor::find;
use super::fields::parse_number;
use crate::domain::brief::{Brief, BriefPath, MetricPart, MetricSpec, ValueCap};
use crate::domain::experiment::FieldError;
use crate::domain::metric::{Direction, Measure};

/// Which metric of the brief a row edits.
#[derive(Clone, Copy)]
pub enum Slot {
    Primary,
    Secondary(usize),
}

impl Slot {
    /// Where one of this metric's inputs lives in the brief.
    fn path(self, part: MetricPart) -> BriefPath {
        match self {
            Slot::Primary => BriefPath::Primary(Some(part)),
            Slot::Secondary(i) => BriefPath::Secondary(Some((i, Some(part)))),
        }
    }

    fn of(self, b: &mut Brief) -> &mut MetricSpec {
        match self {
            Slot::Primary => &mut b.primary,
            Slot::Secondary(i) => &mut b.secondary[i],
        }
    }
}

/// "p99" (a percentile), "1000" (a fixed cap) or "" (none).
pub fn parse_cap(text: &str) -> Result<Option<ValueCap>, String> {
    let t = text.trim();
    match t.strip_prefix(['p', 'P']) {
        Some(nn) => match parse_number(nn) {
            Ok(Some(p)) => Ok(Some(ValueCap::Percentile(p))),
            _ => Err(format!("'{t}' is not a percentile: write p99 or p99.5")),
        },
        None => parse_number(t)
            .map(|v| v.map(ValueCap::Fixed))
            .map_err(|_| {
                format!("'{t}' is not a cap: write p99 (a percentile) or 1000 (a fixed value)")
            }),
    }
}

#[component]
pub fn MetricRow(
    initial: MetricSpec,
    draft: RwSignal<Brief>,
    which: Slot,
    show_errors: RwSignal<bool>,
    problems: Memo<Vec<FieldError>>,
) -> impl IntoView {
    let kind = RwSignal::new(initial.kind);
    let field_err = move |part: MetricPart| {
        let path = which.path(part);
        Signal::derive(move || {
            show_errors
                .get()
                .then(|| problems.with(|p| find(p, path)))
                .flatten()
        })
    };
    let cap_parse_err = RwSignal::new(None::<String>);
    let shown = move |part: MetricPart| {
        let e = field_err(part);
        move || {
            e.get()
                .map(|e| view! { <small class="field-error">{e}</small> })
        }
    };
    // The form's input names are the brief's own paths (`secondary[1].event`).
    let name = move |part: MetricPart| which.path(part).to_string();
    let text_input = move |part: MetricPart,
                           value: String,
                           placeholder: &'static str,
                           set: fn(&mut MetricSpec, String)| {
        view! {
            <input type="text" name=name(part) value=value placeholder=placeholder on:input=move |ev| { let v = event_target_value(&ev); draft.update(|b| set(which.of(b), v)) } />
        }
    };
    let cap_text = initial.cap.map(|c| c.to_string()).unwrap_or_default();
    view! {
        <div class="grid metric">
            <label class="field"><span class="label">"Name"</span>
                {text_input(MetricPart::Name, initial.name.clone(), "purchase rate", |m, v| m.name = v)}
                {shown(MetricPart::Name)}
            </label>
            <label class="field"><span class="label">{move || match kind.get() { Measure::Ratio => "Numerator event", Measure::Retention => "Event (* = any)", _ => "Event" }}</span>
                {text_input(MetricPart::Event, initial.event.clone(), "purchase_completed", |m, v| m.event = v)}
                {shown(MetricPart::Event)}
            </label>
            <label class="field"><span class="label">"Kind"</span>
                <select name=name(MetricPart::Kind) on:change=move |ev| if let Some(k) = Measure::from_slug(&event_target_value(&ev)) { kind.set(k); draft.update(|b| which.of(b).kind = k) }>
                    {Measure::ALL.iter().map(|k| view! { <option value=k.slug() selected=*k == initial.kind>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field"><span class="label">"Direction"</span>
                <select name=name(MetricPart::Direction) on:change=move |ev| if let Some(d) = Direction::from_slug(&event_target_value(&ev)) { draft.update(|b| which.of(b).direction = d) }>
                    {Direction::ALL.iter().map(|d| view! { <option value=d.slug() selected=*d == initial.direction>{d.label()}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || matches!(kind.get(), Measure::Mean | Measure::Ratio)>
                <label class="field"><span class="label">{move || if kind.get() == Measure::Ratio { "Numerator property (empty: count)" } else { "Value property" }}</span>
                    {text_input(MetricPart::ValueProperty, initial.value_property.clone(), "amount", |m, v| m.value_property = v)}
                    {shown(MetricPart::ValueProperty)}
                </label>
            </Show>
            <Show when=move || kind.get() == Measure::Retention>
                <label class="field"><span class="label">"Retained on day"</span>
                    <input type="number" min="0" max="365" name=name(MetricPart::RetentionDay) value=initial.retention_day.to_string() on:input=move |ev| { let v = event_target_value(&ev).trim().parse::<u32>().unwrap_or(u32::MAX); draft.update(|b| which.of(b).retention_day = v) } />
                    {shown(MetricPart::RetentionDay)}
                </label>
            </Show>
            <Show when=move || kind.get() == Measure::Ratio>
                <label class="field"><span class="label">"Denominator event"</span>
                    {text_input(MetricPart::DenominatorEvent, initial.denominator_event.clone(), "purchase", |m, v| m.denominator_event = v)}
                    {shown(MetricPart::DenominatorEvent)}
                </label>
                <label class="field"><span class="label">"Denominator property (empty: count)"</span>
                    {text_input(MetricPart::DenominatorProperty, initial.denominator_property.clone(), "", |m, v| m.denominator_property = v)}
                </label>
            </Show>
            <Show when=move || kind.get().can_cap()>
                <label class="field"><span class="label">"Cap (winsorize)"</span>
                    <input type="text" name=name(MetricPart::Cap) value=cap_text.clone() placeholder="p99 or 1000" on:input=move |ev| {
                        match parse_cap(&event_target_value(&ev)) {
                            Ok(cap) => { cap_parse_err.set(None); draft.update(|b| which.of(b).cap = cap) }
                            Err(e) => cap_parse_err.set(Some(e)),
                        }
                    } />
                    {move || cap_parse_err.get().or_else(|| field_err(MetricPart::Cap).get()).map(|e| view! { <small class="field-error">{e}</small> })}
                </label>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_is_a_percentile_a_number_or_nothing() {
        assert_eq!(parse_cap("p99"), Ok(Some(ValueCap::Percentile(99.0))));
        assert_eq!(parse_cap(" P99.5 "), Ok(Some(ValueCap::Percentile(99.5))));
        assert_eq!(parse_cap("1000"), Ok(Some(ValueCap::Fixed(1000.0))));
        assert_eq!(parse_cap(""), Ok(None));
        assert!(parse_cap("p").unwrap_err().contains("not a percentile"));
        assert!(parse_cap("lots").unwrap_err().contains("not a cap"));
    }
}
