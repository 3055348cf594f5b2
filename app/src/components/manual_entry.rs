//! Typing results in by hand: users per arm, then per metric and arm either conversions,
//! n / mean / standard deviation, or a ratio's five sums, and with CUPED on the optional
//! pre-period sums. Parsed on submit; every bad cell is named.

use leptos::prelude::*;

use super::fields::parse_number;
use crate::domain::brief::Brief;
use crate::domain::metric::MetricKind;
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed};
use crate::domain::stats::CovariateInput;

/// Cells are addressed as "users/<arm>", "<metric>/<arm>/conversions", "<metric>/<arm>/mean", …
fn cell(parts: &[&str]) -> String {
    parts.join("/")
}

/// The cells a reading fills in: users, conversions, and mean / sd recovered from the sums.
fn prefill(c: &Counts) -> std::collections::HashMap<String, String> {
    let mut cells = std::collections::HashMap::new();
    for a in &c.arms {
        cells.insert(cell(&["users", &a.name]), a.users.to_string());
    }
    for m in &c.metrics {
        for (a, v) in c.arms.iter().zip(&m.values) {
            match *v {
                Observed::Proportion { conversions } => {
                    cells.insert(
                        cell(&[&m.metric, &a.name, "conversions"]),
                        conversions.to_string(),
                    );
                }
                Observed::Mean {
                    n,
                    sum,
                    sum_squares,
                } if n > 1 => {
                    let nf = n as f64;
                    let mean = sum / nf;
                    let sd = ((sum_squares - sum * sum / nf) / (nf - 1.0))
                        .max(0.0)
                        .sqrt();
                    cells.insert(cell(&[&m.metric, &a.name, "mean"]), format!("{mean}"));
                    cells.insert(cell(&[&m.metric, &a.name, "sd"]), format!("{sd}"));
                }
                Observed::Mean { .. } => {}
                Observed::Ratio {
                    numerator_sum,
                    numerator_sum_squares,
                    denominator_sum,
                    denominator_sum_squares,
                    cross_sum,
                } => {
                    for (key, v) in RATIO_CELLS.iter().zip([
                        numerator_sum,
                        numerator_sum_squares,
                        denominator_sum,
                        denominator_sum_squares,
                        cross_sum,
                    ]) {
                        cells.insert(cell(&[&m.metric, &a.name, key.0]), format!("{v}"));
                    }
                }
            }
        }
        for (a, c) in c.arms.iter().zip(&m.covariates) {
            for (key, v) in PRE_CELLS.iter().zip([c.sum, c.sum_squares, c.cross_sum]) {
                cells.insert(cell(&[&m.metric, &a.name, key.0]), format!("{v}"));
            }
        }
    }
    cells
}

/// A conversion or mean metric's pre-exposure cells (CUPED and the pre-period check), as
/// `verdict attribute --pre-days` reports them; optional: blank for every arm means none.
const PRE_CELLS: [(&str, &str); 3] = [
    ("pre_sum", "pre-period sum"),
    ("pre_sum_squares", "pre-period sum of squares"),
    ("pre_cross_sum", "sum of post x pre"),
];

/// A ratio's cells: what a warehouse query of per-user numerator m and denominator d gives.
const RATIO_CELLS: [(&str, &str); 5] = [
    ("numerator_sum", "sum of numerators"),
    ("numerator_sum_squares", "sum of squared numerators"),
    ("denominator_sum", "sum of denominators"),
    ("denominator_sum_squares", "sum of squared denominators"),
    ("cross_sum", "sum of numerator x denominator"),
];

/// The rows one metric takes: (cell key, row label).
fn rows(kind: MetricKind, cuped: bool) -> Vec<(&'static str, &'static str)> {
    let mut rows = match kind {
        MetricKind::Proportion => vec![("conversions", "conversions")],
        MetricKind::Mean => vec![("mean", "mean per user"), ("sd", "standard deviation")],
        MetricKind::Ratio => RATIO_CELLS.to_vec(),
    };
    if cuped && kind != MetricKind::Ratio {
        rows.extend(PRE_CELLS);
    }
    rows
}

/// The pre-period sums of metric `m` per arm: none when every cell is blank, else all of them
/// (a blank or bad cell is an error naming it).
fn covariates(
    cells: &std::collections::HashMap<String, String>,
    m: &str,
    arms: &[String],
    errors: &mut Vec<String>,
) -> Vec<CovariateInput> {
    let blank = |key: &str, arm: &str| {
        cells
            .get(&cell(&[m, arm, key]))
            .is_none_or(|v| v.trim().is_empty())
    };
    if arms
        .iter()
        .all(|a| PRE_CELLS.iter().all(|(key, _)| blank(key, a)))
    {
        return Vec::new();
    }
    let mut value = |key: &str, label: &str, arm: &str| {
        let text = cells.get(&cell(&[m, arm, key])).map_or("", String::as_str);
        match parse_number(text) {
            Ok(Some(v)) => v,
            Ok(None) => {
                errors.push(format!(
                    "{m} {label} in {arm}: required once any pre-period cell of {m} is filled"
                ));
                0.0
            }
            Err(e) => {
                errors.push(format!("{m} {label} in {arm}: {e}"));
                0.0
            }
        }
    };
    arms.iter()
        .map(|a| CovariateInput {
            sum: value(PRE_CELLS[0].0, PRE_CELLS[0].1, a),
            sum_squares: value(PRE_CELLS[1].0, PRE_CELLS[1].1, a),
            cross_sum: value(PRE_CELLS[2].0, PRE_CELLS[2].1, a),
        })
        .collect()
}

#[component]
pub fn ManualEntry(
    brief: Brief,
    /// The latest reading, so a new one starts from it instead of from blanks.
    initial: Option<Counts>,
    on_submit: Callback<Counts>,
    #[prop(into)] problems: Signal<Vec<String>>,
) -> impl IntoView {
    let cells = RwSignal::new(initial.map(|c| prefill(&c)).unwrap_or_default());
    let local_errors = RwSignal::new(Vec::<String>::new());
    let arms: Vec<String> = brief.arm_names();
    let cuped = brief.cuped.enabled;
    let metrics: Vec<(String, MetricKind)> = std::iter::once(&brief.primary)
        .chain(brief.secondary.iter())
        .map(|m| (m.name.clone(), m.statistic()))
        .collect();
    let input = move |key: String, label: String| {
        let value = cells.with_untracked(|c| c.get(&key).cloned().unwrap_or_default());
        view! {
            <input type="text" inputmode="decimal" aria-label=label name=key.clone() value=value
                on:input=move |ev| { let v = event_target_value(&ev); cells.update(|c| { c.insert(key.clone(), v); }) } />
        }
    };
    let submit = {
        let (arms, metrics) = (arms.clone(), metrics.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let c = cells.get_untracked();
            let mut errors = Vec::new();
            let mut num = |key: String, label: String| -> f64 {
                match parse_number(c.get(&key).map(String::as_str).unwrap_or("")) {
                    Ok(Some(v)) if v >= 0.0 => v,
                    Ok(Some(_)) => {
                        errors.push(format!("{label}: cannot be negative"));
                        0.0
                    }
                    Ok(None) => {
                        errors.push(format!("{label}: required"));
                        0.0
                    }
                    Err(e) => {
                        errors.push(format!("{label}: {e}"));
                        0.0
                    }
                }
            };
            let arm_counts: Vec<ArmCount> = arms
                .iter()
                .map(|a| ArmCount {
                    name: a.clone(),
                    users: num(cell(&["users", a]), format!("users in {a}")).round() as u64,
                })
                .collect();
            let mut metric_counts: Vec<MetricCounts> = metrics
                .iter()
                .map(|(m, kind)| MetricCounts {
                    covariates: Vec::new(),
                    metric: m.clone(),
                    values: arm_counts
                        .iter()
                        .map(|a| match kind {
                            MetricKind::Proportion => Observed::Proportion {
                                conversions: num(
                                    cell(&[m, &a.name, "conversions"]),
                                    format!("{m} conversions in {}", a.name),
                                )
                                .round() as u64,
                            },
                            MetricKind::Mean => Observed::from_mean_sd(
                                a.users,
                                num(
                                    cell(&[m, &a.name, "mean"]),
                                    format!("{m} mean in {}", a.name),
                                ),
                                num(cell(&[m, &a.name, "sd"]), format!("{m} sd in {}", a.name)),
                            ),
                            MetricKind::Ratio => {
                                let mut sum = |key: &str, label: &str| {
                                    num(
                                        cell(&[m, &a.name, key]),
                                        format!("{m} {label} in {}", a.name),
                                    )
                                };
                                Observed::Ratio {
                                    numerator_sum: sum(RATIO_CELLS[0].0, RATIO_CELLS[0].1),
                                    numerator_sum_squares: sum(RATIO_CELLS[1].0, RATIO_CELLS[1].1),
                                    denominator_sum: sum(RATIO_CELLS[2].0, RATIO_CELLS[2].1),
                                    denominator_sum_squares: sum(
                                        RATIO_CELLS[3].0,
                                        RATIO_CELLS[3].1,
                                    ),
                                    cross_sum: sum(RATIO_CELLS[4].0, RATIO_CELLS[4].1),
                                }
                            }
                        })
                        .collect(),
                })
                .collect();
            if cuped {
                for (counts, (m, kind)) in metric_counts.iter_mut().zip(&metrics) {
                    if *kind != MetricKind::Ratio {
                        counts.covariates = covariates(&c, m, &arms, &mut errors);
                    }
                }
            }
            local_errors.set(errors.clone());
            if errors.is_empty() {
                on_submit.run(Counts {
                    segments: Vec::new(),
                    multi_arm_users: 0,
                    incomplete_windows: 0,
                    arms: arm_counts,
                    metrics: metric_counts,
                });
            }
        }
    };
    view! {
        <form class="manual-entry" on:submit=submit>
            <h3>"Type in results"</h3>
            <table>
                <thead><tr><th></th>{arms.iter().map(|a| view! { <th>{a.clone()}</th> }).collect_view()}</tr></thead>
                <tbody>
                    <tr><th>"Users exposed"</th>{arms.iter().map(|a| view! { <td>{input(cell(&["users", a]), format!("users in {a}"))}</td> }).collect_view()}</tr>
                    {metrics.iter().flat_map(|(m, kind)| rows(*kind, cuped).into_iter().map(move |(key, label)| (m.clone(), key, label))).map(|(m, key, label)| view! {
                        <tr><th>{format!("{m}: {label}")}</th>
                            {arms.iter().map(|a| view! { <td>{input(cell(&[&m, a, key]), format!("{m} {label} in {a}"))}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
            {move || {
                let mut all = local_errors.get();
                all.extend(problems.get());
                (!all.is_empty()).then(|| view! { <ul class="problems" role="alert">{all.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul> })
            }}
            <button type="submit" class="primary">"Record results"</button>
        </form>
    }
}
