//! The brief form. The draft lives in the browser; the sample-size calculator and the ready
//! checklist recompute from it on every keystroke without a server round trip.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::calculator::Calculator;
use super::fields::{NumberField, TextField};
use super::format::pct_input;
use super::metric_row::{MetricRow, Slot};
use crate::domain::brief::{
    Arm, ArmPart, Brief, BriefPath, BriefPath as P, Exposure, HypothesisPart, MetricSpec, RulePart,
    MAX_SEGMENTS,
};
use crate::domain::experiment::FieldError;
use crate::domain::metric::{Correction, Engine, MetricKind};

type Setter<T> = fn(&mut Brief, T);

/// Editable brief. `on_save` receives the draft; the page does the server call and reports back
/// through `status` (a message) so unsaved edits are never thrown away.
#[component]
pub fn BriefEditor(
    draft: RwSignal<Brief>,
    on_save: Callback<Brief>,
    saving: Signal<bool>,
    #[prop(into)] status: Signal<Option<Result<String, String>>>,
    /// The submit button's label ("Save brief" unless amending a running brief).
    #[prop(optional, into)]
    submit_label: Option<String>,
) -> impl IntoView {
    let submit_label = submit_label.unwrap_or_else(|| "Save brief".to_owned());
    let problems = Memo::new(move |_| draft.with(Brief::validate));
    let show_errors = RwSignal::new(false);
    let err = move |path: BriefPath| {
        Signal::derive(move || {
            show_errors
                .get()
                .then(|| problems.with(|p| find(p, path)))
                .flatten()
        })
    };
    let num = move |f: Setter<Option<f64>>| {
        Callback::new(move |v: Option<f64>| draft.update(|b| f(b, v)))
    };
    let text = move |f: Setter<String>| Callback::new(move |v: String| draft.update(|b| f(b, v)));
    let b = draft.get_untracked();
    let primary_kind = Memo::new(move |_| draft.with(|b| b.primary.statistic()));
    let secondary_len = Memo::new(move |_| draft.with(|b| b.secondary.len()));
    let arms_len = Memo::new(move |_| draft.with(|b| b.arms.len()));

    view! {
        <form class="brief-editor" on:submit=move |ev| {
            ev.prevent_default();
            show_errors.set(true);
            on_save.run(draft.get_untracked());
        }>
            <fieldset>
                <legend>"Hypothesis"</legend>
                <p class="sentence" data-testid="hypothesis-sentence">{move || draft.with(Brief::hypothesis_sentence)}</p>
                <div class="grid two">
                    <TextField label="Changing (what)" name=P::Hypothesis(Some(HypothesisPart::Change)).to_string() initial=b.hypothesis.change.clone() placeholder="the checkout" on_text=text(|b, v| b.hypothesis.change = v) error=err(P::Hypothesis(Some(HypothesisPart::Change))) />
                    <TextField label="Because (why)" name=P::Hypothesis(Some(HypothesisPart::Because)).to_string() initial=b.hypothesis.because.clone() placeholder="each step loses buyers" on_text=text(|b, v| b.hypothesis.because = v) error=err(P::Hypothesis(Some(HypothesisPart::Because))) />
                    <TextField label="From (A)" name=P::Hypothesis(Some(HypothesisPart::From)).to_string() initial=b.hypothesis.from.clone() placeholder="three steps" on_text=text(|b, v| b.hypothesis.from = v) error=err(P::Hypothesis(Some(HypothesisPart::From))) />
                    <TextField label="To (B)" name=P::Hypothesis(Some(HypothesisPart::To)).to_string() initial=b.hypothesis.to.clone() placeholder="one page" on_text=text(|b, v| b.hypothesis.to = v) error=err(P::Hypothesis(Some(HypothesisPart::To))) />
                </div>
            </fieldset>

            <fieldset>
                <legend>"Primary metric (exactly one)"</legend>
                <MetricRow initial=b.primary.clone() draft which=Slot::Primary show_errors problems />
            </fieldset>

            <fieldset>
                <legend>"Guardrail metrics (2 or 3)"</legend>
                {move || {
                    let n = secondary_len.get();
                    let rows = (0..n).map(|i| {
                        let initial = draft.with_untracked(|b| b.secondary[i].clone());
                        view! {
                            <div class="metric-item">
                                <MetricRow initial draft which=Slot::Secondary(i) show_errors problems />
                                <button type="button" class="small ghost" on:click=move |_| draft.update(|b| { b.secondary.remove(i); })>"Remove"</button>
                            </div>
                        }
                    }).collect_view();
                    view! {
                        {rows}
                        {(n < 3).then(|| view! {
                            <button type="button" class="small" on:click=move |_| draft.update(|b| b.secondary.push(MetricSpec::default()))>"Add a guardrail metric"</button>
                        })}
                    }
                }}
                {move || err(P::Secondary(None)).get().map(|e| view! { <small class="field-error">{e}</small> })}
            </fieldset>

            <fieldset>
                <legend>"Baseline and effect"</legend>
                <div class="grid three">
                    {move || match primary_kind.get() {
                        MetricKind::Proportion => view! {
                            <NumberField label="Baseline conversion rate" name=P::BaselineRate.to_string() suffix="%" scale=0.01 initial=pct_input(draft.with_untracked(|b| b.baseline_rate)) on_value=num(|b, v| b.baseline_rate = v) error=err(P::BaselineRate) hint="today's conversion or retention rate of the primary metric" />
                        }.into_any(),
                        MetricKind::Mean | MetricKind::Ratio => view! {
                            <NumberField label="Baseline mean" hint="per user (a ratio: today's ratio)" name=P::BaselineMean.to_string() initial=opt(draft.with_untracked(|b| b.baseline_mean)) on_value=num(|b, v| b.baseline_mean = v) error=err(P::BaselineMean) />
                            <NumberField label="Standard deviation" name=P::BaselineSd.to_string() initial=opt(draft.with_untracked(|b| b.baseline_sd)) on_value=num(|b, v| b.baseline_sd = v) error=err(P::BaselineSd) />
                        }.into_any(),
                    }}
                    <NumberField label="Minimum detectable effect" name=P::Mde.to_string() suffix="% relative" scale=0.01 initial=pct_input(b.mde) on_value=num(|b, v| b.mde = v) error=err(P::Mde) hint="the smallest lift worth detecting" />
                    <NumberField label="Significance (alpha)" name=P::Alpha.to_string() initial=b.alpha.to_string() on_value=num(|b, v| b.alpha = v.unwrap_or(f64::NAN)) error=err(P::Alpha) />
                    <NumberField label="Power" name=P::Power.to_string() initial=b.power.to_string() on_value=num(|b, v| b.power = v.unwrap_or(f64::NAN)) error=err(P::Power) />
                    <NumberField label="Expected daily traffic" name=P::DailyTraffic.to_string() suffix="users/day" initial=b.daily_traffic.map(|t| t.to_string()).unwrap_or_default() on_value=num(|b, v| b.daily_traffic = v.filter(|v| *v >= 0.0).map(|v| v.round() as u64)) error=err(P::DailyTraffic) hint="all arms together" />
                    <NumberField label="Conversion window" name=P::WindowDays.to_string() suffix="days" initial=b.window_days.to_string() on_value=num(|b, v| b.window_days = v.map(|v| v.round().clamp(0.0, 10_000.0) as u32).unwrap_or(0)) error=err(P::WindowDays) />
                </div>
            </fieldset>

            <fieldset>
                <legend>"Arms (control first)"</legend>
                <ExposureField draft />
                {move || {
                    let n = arms_len.get();
                    (0..n).map(|i| {
                        let arm = draft.with_untracked(|b| b.arms[i].clone());
                        let at = move |part: ArmPart| BriefPath::Arms(Some((i, part)));
                        let name_err = move || show_errors.get().then(|| problems.with(|p| find(p, at(ArmPart::Name)))).flatten();
                        let weight_err = Signal::derive(move || show_errors.get().then(|| problems.with(|p| find(p, at(ArmPart::Weight)))).flatten());
                        view! {
                            <div class="arm-row">
                                <label class="field"><span class="label">{if i == 0 { "Control arm".to_string() } else { format!("Treatment {i}") }}</span>
                                    <input type="text" name=at(ArmPart::Name).to_string() value=arm.name on:input=move |ev| { let v = event_target_value(&ev); draft.update(|b| b.arms[i].name = v) } />
                                    {move || name_err().map(|e| view! { <small class="field-error">{e}</small> })}
                                </label>
                                <NumberField label="Weight" name=at(ArmPart::Weight).to_string() suffix="%" scale=0.01 initial=pct_input(Some(arm.weight)) on_value=Callback::new(move |v: Option<f64>| draft.update(|b| b.arms[i].weight = v.unwrap_or(0.0))) error=weight_err />
                                {(i >= 2).then(|| view! { <button type="button" class="small ghost" on:click=move |_| draft.update(|b| { b.arms.remove(i); })>"Remove"</button> })}
                            </div>
                        }
                    }).collect_view()
                }}
                <button type="button" class="small" on:click=move |_| draft.update(|b| { b.arms.push(Arm { name: String::new(), weight: 0.0 }); })>"Add a treatment arm"</button>
                <button type="button" class="small ghost" on:click=move |_| draft.update(|b| { let w = 1.0 / b.arms.len() as f64; b.arms.iter_mut().for_each(|a| a.weight = w); })>"Split evenly"</button>
                {move || err(P::Arms(None)).get().map(|e| view! { <small class="field-error">{e}</small> })}
            </fieldset>

            <fieldset>
                <legend>"Dates"</legend>
                <div class="grid three">
                    <DateField label="Planned start" name=P::PlannedStart.to_string() value=Signal::derive(move || draft.with(|b| b.planned_start)) on_date=Callback::new(move |d| draft.update(|b| b.planned_start = d)) error=err(P::PlannedStart) />
                    <DateField label="Planned end" name=P::PlannedEnd.to_string() value=Signal::derive(move || draft.with(|b| b.planned_end)) on_date=Callback::new(move |d| draft.update(|b| b.planned_end = d)) error=err(P::PlannedEnd) />
                </div>
            </fieldset>

            <AnalysisFields draft show_errors problems />

            <Calculator brief=draft.into() on_use_end=Callback::new(move |d| draft.update(|b| b.planned_end = Some(d))) />

            <fieldset>
                <legend>"Decision rule (pre-registered)"</legend>
                <div class="grid three">
                    <NumberField label="Minimum lift to ship" name=P::Rule(Some(RulePart::MinLift)).to_string() suffix="%" scale=0.01 initial=pct_input(b.rule.min_lift) on_value=num(|b, v| b.rule.min_lift = v) error=err(P::Rule(Some(RulePart::MinLift))) hint="primary metric, relative" />
                    <NumberField label="Largest tolerated guardrail drop" name=P::Rule(Some(RulePart::MaxGuardrailDrop)).to_string() suffix="%" scale=0.01 initial=pct_input(b.rule.max_guardrail_drop) on_value=num(|b, v| b.rule.max_guardrail_drop = v) error=err(P::Rule(Some(RulePart::MaxGuardrailDrop))) hint="relative, any guardrail" />
                    <label class="field"><span class="label">"Engine"</span>
                        <select name=P::Rule(Some(RulePart::Engine)).to_string() on:change=move |ev| if let Some(e) = Engine::from_slug(&event_target_value(&ev)) { draft.update(|b| b.rule.engine = e) }>
                            {Engine::ALL.iter().map(|e| view! { <option value=e.slug() selected=*e == b.rule.engine>{e.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field"><span class="label">"Multiple-testing correction"</span>
                        <select name=P::Rule(Some(RulePart::Correction)).to_string() on:change=move |ev| if let Some(c) = Correction::from_slug(&event_target_value(&ev)) { draft.update(|b| b.rule.correction = c) }>
                            {Correction::ALL.iter().map(|c| view! { <option value=c.slug() selected=*c == b.rule.correction>{c.label()}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
            </fieldset>

            <fieldset>
                <legend>"Links and notes"</legend>
                <div class="grid two">
                    <TextField label="Design doc" name="design_doc" initial=b.design_doc.clone() placeholder="https://…" on_text=text(|b, v| b.design_doc = v) error=Signal::derive(|| None::<String>) />
                    <TextField label="Ticket" name="ticket" initial=b.ticket.clone() placeholder="https://…" on_text=text(|b, v| b.ticket = v) error=Signal::derive(|| None::<String>) />
                </div>
                <label class="field"><span class="label">"Notes (Markdown)"</span>
                    <textarea name="notes" rows="4" on:input=move |ev| { let v = event_target_value(&ev); draft.update(|b| b.notes = v) }>{b.notes.clone()}</textarea>
                </label>
            </fieldset>

            <div class="save-bar">
                <button type="submit" class="primary" disabled=move || saving.get()>{move || if saving.get() { "Saving…".to_owned() } else { submit_label.clone() }}</button>
                {move || status.get().map(|s| match s {
                    Ok(m) => view! { <span class="saved" role="status">{m}</span> }.into_any(),
                    Err(m) => view! { <p class="conflict" role="alert">{m}</p> }.into_any(),
                })}
            </div>
            <Checklist problems=problems.into() />
        </form>
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The first problem at `path`, for the input that edits it.
pub(super) fn find(problems: &[FieldError], path: BriefPath) -> Option<String> {
    problems
        .iter()
        .find(|e| e.brief_path() == Some(path))
        .map(|e| e.message.clone())
}

/// What still stands between this brief and "ready".
#[component]
fn Checklist(problems: Signal<Vec<FieldError>>) -> impl IntoView {
    view! {
        <aside class="checklist" data-testid="checklist">
            {move || {
                let p = problems.get();
                if p.is_empty() {
                    view! { <p class="ok">"The brief is complete: it can be marked ready."</p> }.into_any()
                } else {
                    view! {
                        <p>{format!("{} item{} before it can be marked ready:", p.len(), if p.len() == 1 { "" } else { "s" })}</p>
                        <ul>{p.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}</ul>
                    }.into_any()
                }
            }}
        </aside>
    }
}

#[component]
fn DateField(
    label: &'static str,
    #[prop(into)] name: String,
    value: Signal<Option<NaiveDate>>,
    on_date: Callback<Option<NaiveDate>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || error.get().is_some()>
            <span class="label">{label}</span>
            <input type="date" name=name
                value=value.get_untracked().map(|d| d.to_string()).unwrap_or_default()
                prop:value=move || value.get().map(|d| d.to_string()).unwrap_or_default()
                on:input=move |ev| on_date.run(super::format::parse_date(&event_target_value(&ev))) />
            {move || error.get().map(|e| view! { <small class="field-error">{e}</small> })}
        </label>
    }
}

/// Which exposure events assign users to arms; the arm names above must match its variant names.
#[component]
fn ExposureField(draft: RwSignal<Brief>) -> impl IntoView {
    let current = draft.with_untracked(|b| b.exposure.clone());
    let slug = |e: &Exposure| match e {
        Exposure::Mixpanel => "mixpanel",
        Exposure::Optimizely { .. } => "optimizely",
        Exposure::Amplitude { .. } => "amplitude",
        Exposure::Custom { .. } => "custom",
    };
    let is_custom =
        Memo::new(move |_| draft.with(|b| matches!(b.exposure, Exposure::Custom { .. })));
    let has_flag = Memo::new(move |_| {
        draft.with(|b| {
            matches!(
                b.exposure,
                Exposure::Optimizely { .. } | Exposure::Amplitude { .. }
            )
        })
    });
    let flag = current.flag_key().unwrap_or_default().to_owned();
    let custom = move |pick: fn(&mut Exposure) -> Option<&mut String>| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            draft.update(|b| {
                if let Some(field) = pick(&mut b.exposure) {
                    *field = v;
                }
            })
        }
    };
    let (event, exp_prop, var_prop) = match &current {
        Exposure::Custom {
            event,
            experiment_property,
            variant_property,
        } => (
            event.clone(),
            experiment_property.clone(),
            variant_property.clone(),
        ),
        _ => Default::default(),
    };
    view! {
        <div class="grid three">
            <label class="field"><span class="label">"Exposure events"</span>
                <select name="exposure" on:change=move |ev| {
                    let e = match event_target_value(&ev).as_str() {
                        "optimizely" => Exposure::Optimizely { flag_key: String::new() },
                        "amplitude" => Exposure::Amplitude { flag_key: String::new() },
                        "custom" => Exposure::Custom { event: String::new(), experiment_property: String::new(), variant_property: String::new() },
                        _ => Exposure::Mixpanel,
                    };
                    draft.update(|b| b.exposure = e);
                }>
                    {[Exposure::Mixpanel, Exposure::Optimizely { flag_key: String::new() }, Exposure::Amplitude { flag_key: String::new() }, Exposure::Custom { event: String::new(), experiment_property: String::new(), variant_property: String::new() }]
                        .into_iter()
                        .map(|e| view! { <option value=slug(&e) selected=slug(&e) == slug(&current)>{e.label()}</option> })
                        .collect_view()}
                </select>
                <small class="hint">"the experiment's key must match the experiment-name property: Optimizely's rule key, Amplitude's experiment key (or the flag key when the flag runs one experiment)"</small>
            </label>
            <Show when=move || has_flag.get()>
                <label class="field"><span class="label">"Flag key"</span>
                    <input type="text" name="exposure.flag_key" value=flag.clone() on:input=move |ev| {
                        let v = event_target_value(&ev);
                        draft.update(|b| if let Some(f) = b.exposure.flag_key_mut() { *f = v });
                    } />
                    <small class="hint">"the flag that holds this experiment: exposures of its other rules (rollouts, other tests) are left out and reported"</small>
                </label>
            </Show>
            <Show when=move || is_custom.get()>
                <label class="field"><span class="label">"Custom event"</span>
                    <input type="text" name="exposure.event" value=event.clone() on:input=custom(|e| match e { Exposure::Custom { event, .. } => Some(event), _ => None }) /></label>
                <label class="field"><span class="label">"Experiment-name property"</span>
                    <input type="text" name="exposure.experiment_property" value=exp_prop.clone() on:input=custom(|e| match e { Exposure::Custom { experiment_property, .. } => Some(experiment_property), _ => None }) /></label>
                <label class="field"><span class="label">"Variant-name property"</span>
                    <input type="text" name="exposure.variant_property" value=var_prop.clone() on:input=custom(|e| match e { Exposure::Custom { variant_property, .. } => Some(variant_property), _ => None }) /></label>
            </Show>
        </div>
    }
}

/// CUPED and the segments: how the results are analysed beyond the pre-registered rule.
#[component]
fn AnalysisFields(
    draft: RwSignal<Brief>,
    show_errors: RwSignal<bool>,
    problems: Memo<Vec<FieldError>>,
) -> impl IntoView {
    let b = draft.get_untracked();
    let err = move |path: BriefPath| {
        Signal::derive(move || {
            show_errors
                .get()
                .then(|| problems.with(|p| find(p, path)))
                .flatten()
        })
    };
    let cuped_on = Memo::new(move |_| draft.with(|b| b.cuped.enabled));
    let cuped_err = err(P::Cuped);
    let segments_err = err(P::Segments);
    view! {
        <fieldset data-testid="analysis-settings">
            <legend>"Variance reduction and segments"</legend>
            <label class="check">
                <input type="checkbox" name="cuped.enabled" prop:checked=move || cuped_on.get() on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|b| b.cuped.enabled = on) } />
                " CUPED: adjust each conversion and mean metric by the same metric in the days before exposure (the same answer in fewer days), and check the groups were alike before the test"
            </label>
            <Show when=move || cuped_on.get()>
                <div class="grid three">
                    <NumberField label="Pre-period" name="cuped.lookback_days" suffix="days" initial=draft.with_untracked(|b| b.cuped.lookback_days.to_string()) on_value=Callback::new(move |v: Option<f64>| draft.update(|b| b.cuped.lookback_days = v.map(|v| v.round().clamp(0.0, 10_000.0) as u32).unwrap_or(0))) error=cuped_err hint="before each user's exposure" />
                    <NumberField label="Expected correlation (rho)" name="cuped.expected_correlation" initial=draft.with_untracked(|b| b.cuped.expected_correlation.map(|r| r.to_string()).unwrap_or_default()) on_value=Callback::new(move |v: Option<f64>| draft.update(|b| b.cuped.expected_correlation = v)) error=Signal::derive(|| None::<String>) hint="pre vs post, 0 to 1: for the sample size" />
                </div>
            </Show>
            <TextField label="Segment properties (up to 3, comma-separated)" name=P::Segments.to_string() initial=b.segments.join(", ") placeholder="$os, mp_country_code, #new_vs_returning" on_text=Callback::new(move |v: String| draft.update(|b| b.segments = split_list(&v))) error=segments_err />
            <small class="hint">{format!("Results per value of each property of the user's first exposure; #new_vs_returning splits users by whether they had any event before the pre-period (the pull then reads every event, 28 more days back). Exploratory: the decision never uses them. At most {MAX_SEGMENTS}.")}</small>
        </fieldset>
    }
}

/// "a, b,, c" -> ["a", "b", "c"].
fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
