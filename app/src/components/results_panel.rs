//! The results view: SRM banner, per-metric tables with interval plots and sentences, the decision
//! rule's conditions, and the lift over snapshots. Plain values in; no server calls.

use leptos::prelude::*;

use super::format::{int, pct, timestamp};
use super::interval_plot::IntervalPlot;
use super::pre_period_panel::PrePeriodPanel;
use super::segment_tables::SegmentTables;
use crate::api::results::ResultsView;
use crate::domain::amendment::Amendment;
use crate::domain::analysis::{p_value, sentence, signed_pct};
use crate::domain::lift_history::Thinning;
use crate::domain::metric::{Direction, MetricKind, MetricRole};
use crate::domain::stats::{AnalyzeResponse, Evidence, MetricResult, SrmStatus};

#[component]
pub fn ResultsPanel(view: ResultsView) -> impl IntoView {
    let Some(snapshot) = view.latest.clone() else {
        return view! { <p class="muted">"No results yet. Type in counts below, or pull them from the analytics tool."</p> }.into_any();
    };
    let header = format!(
        "Latest reading: {} ({}).",
        timestamp(snapshot.taken_at),
        snapshot.source.label()
    );
    let body = match view.analysis.clone() {
        None => ().into_any(),
        Some(Err(why)) => view! { <p class="refusal" role="alert">{format!("These counts cannot be analysed: {why}")}</p> }.into_any(),
        Some(Ok(analysis)) => view! { <Analysis analysis view=view.clone() /> }.into_any(),
    };
    let share = snapshot.counts.multi_arm_share();
    let leak = (share > 0.01).then(|| view! {
        <p class="warning" role="alert" data-testid="multi-arm">{format!(
            "{} users ({:.1}% of those exposed) saw more than one arm and were left out: check that assignment is sticky.",
            snapshot.counts.multi_arm_users, share * 100.0
        )}</p>
    });
    let incomplete = snapshot.counts.incomplete_windows;
    let window_days = view.brief.window_days;
    let partial = (incomplete > 0).then(|| view! {
        <p class="warning" role="status" data-testid="incomplete-windows">{format!(
            "{} users exposed in the last {window_days} days have incomplete windows: the rest of their {window_days}-day conversion window is not in this reading yet. A fixed-horizon decision waits until every window has closed.",
            int(incomplete)
        )}</p>
    });
    let attributed = snapshot.source.is_attributed();
    view! {
        <p class="muted">{header}</p>
        {leak}
        {partial}
        {view.blind_until.map(|d| view! {
            <div class="blind" data-testid="blind">
                <strong>{format!("Blind until {d}.")}</strong>
                " The primary metric's lift and p-value stay hidden until the planned end date, because looking early and stopping on a good day inflates false positives. Guardrails and the sample-ratio check stay visible as safety checks."
            </div>
        })}
        {body}
        {attributed.then(|| view! { <Reconciling window_days /> })}
    }
    .into_any()
}

/// Why an analyst comparing with Mixpanel's own Experiments report sees other numbers.
#[component]
fn Reconciling(window_days: u32) -> impl IntoView {
    view! {
        <details class="reconcile" data-testid="reconcile">
            <summary>"Why these counts differ from Mixpanel's Experiments report"</summary>
            <ul>
                <li><strong>"First exposure."</strong>" Verdict starts each user's window at their first exposure in the run; Mixpanel's report can attribute behaviour from a later exposure."</li>
                <li><strong>{format!("A {window_days}-day window.")}</strong>" Verdict counts a conversion only inside the brief's window after the first exposure; Mixpanel's report counts behaviour up to 90 days after exposure."</li>
                <li><strong>"Switchers left out."</strong>" A user exposed to two arms is excluded from both and counted apart; Mixpanel splits such a user, crediting behaviour before the switch to the first variant and after it to the new one."</li>
                <li><strong>"Anonymous events."</strong>" Events sent with an empty distinct_id are tied to no user and never counted; duplicates (same event, distinct_id, time and $insert_id) count once, the most recently ingested copy, as in Mixpanel."</li>
                <li><strong>"Identity as exported."</strong>" The export carries each event's canonical distinct_id at export time, so a later ID merge can move a user between two pulls of the same days."</li>
            </ul>
        </details>
    }
}

#[component]
fn Analysis(analysis: AnalyzeResponse, view: ResultsView) -> impl IntoView {
    let srm = analysis.srm;
    let (class, text) = match srm.status {
        SrmStatus::Healthy => ("srm healthy", format!("Sample ratio OK (p = {}).", p_value(srm.p_value))),
        SrmStatus::Unhealthy => ("srm unhealthy", format!(
            "Sample ratio mismatch: the arms' sizes do not match the planned split (chi-square p = {}). Assignment is broken; this test cannot be trusted, whatever its lift.",
            p_value(srm.p_value)
        )),
        SrmStatus::NotEnoughTraffic => ("srm waiting", "Too few users to check the sample ratio yet.".to_string()),
    };
    let control = view
        .brief
        .arms
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let alpha = view.brief.alpha;
    let engine = view.brief.rule.engine;
    let metrics = analysis.metrics.into_iter().map(|m| view! { <MetricTable metric=m control=control.clone() alpha engine blind=view.blind_until.is_some() /> }).collect_view();
    view! {
        <div class=class role=if srm.status == SrmStatus::Unhealthy { "alert" } else { "status" } data-testid="srm-banner">{text}</div>
        {view.pre_period.clone().map(|check| view! { <PrePeriodPanel check /> })}
        {view.decision.clone().map(|d| view! {
            <section class="decision" data-testid="decision">
                <h3>"Computed verdict: " {d.verdict.describe()}</h3>
                <p>{d.headline}</p>
                <ul class="conditions">
                    {d.conditions.into_iter().map(|c| view! {
                        <li class=if c.met { "met" } else { "unmet" }>
                            <span class="mark">{if c.met { "met" } else { "not met" }}</span>
                            " " <strong>{c.name}</strong> ": " {c.detail}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {metrics}
        {(view.lift_history.len() > 1).then(|| view! {
            <LiftHistory points=view.lift_history.clone() thinning=view.lift_thinning readings=view.readings />
        })}
        <SegmentTables segments=view.segments.clone() />
    }
}

#[component]
fn MetricTable(
    metric: MetricResult,
    control: String,
    alpha: f64,
    engine: crate::domain::metric::Engine,
    blind: bool,
) -> impl IntoView {
    let role = match metric.role {
        MetricRole::Primary => "Primary",
        MetricRole::Secondary => "Guardrail",
    };
    let better_up = metric.direction == Direction::Increase;
    let value = |mean: Option<f64>| match (metric.kind, mean) {
        (_, None) => "—".to_string(),
        (MetricKind::Proportion, Some(m)) => pct(m),
        (MetricKind::Mean | MetricKind::Ratio, Some(m)) => format!("{m:.4}"),
    };
    let arms = metric.arms.iter().map(|a| view! { <tr><td>{a.name.clone()}</td><td class="num">{int(a.n)}</td><td class="num">{value(a.mean)}</td></tr> }).collect_view();
    let scale = metric
        .comparisons
        .iter()
        .filter_map(|c| c.estimate())
        .map(|e| e.ci_low.abs().max(e.ci_high.abs()))
        .fold(0.0, f64::max);
    let hidden = blind && metric.role == MetricRole::Primary;
    let comparisons = metric.comparisons.iter().map(|c| {
        let line = sentence(&metric, c, &control, alpha, engine);
        match c.estimate() {
            None => view! { <tr><td>{c.arm.clone()}</td><td colspan="3" class="no-result">{line}</td></tr> }.into_any(),
            Some(e) => {
                let evidence = match e.evidence {
                    Evidence::PValue { raw, adjusted } => format!("p = {} (adjusted {})", p_value(raw), p_value(adjusted)),
                    Evidence::Posterior { chance_to_win, risk_control, risk_treatment } => format!(
                        "chance to win {:.1}%, risk {} / {}", chance_to_win * 100.0, signed_pct(risk_control).trim_start_matches('+'), signed_pct(risk_treatment).trim_start_matches('+')
                    ),
                };
                view! {
                    <tr>
                        <td>{c.arm.clone()}</td>
                        <td class="num">{signed_pct(e.lift_relative)}</td>
                        <td><IntervalPlot low=e.ci_low estimate=e.lift_relative high=e.ci_high better_when_positive=better_up scale /></td>
                        <td>{evidence}</td>
                    </tr>
                    <tr class="sentence-row"><td colspan="4" data-testid="sentence">{line}</td></tr>
                }.into_any()
            }
        }
    }).collect_view();
    view! {
        <section class="metric-result" data-metric=metric.name.clone()>
            <h3>{format!("{role}: {}", metric.name)} <small class="muted">{format!(" ({}, {})", metric.kind.label().to_ascii_lowercase(), metric.direction.label().to_ascii_lowercase())}</small></h3>
            <table class="arms">
                <thead><tr><th>"Arm"</th><th class="num">"n"</th><th class="num">{if metric.kind == MetricKind::Proportion { "Rate" } else { "Mean" }}</th></tr></thead>
                <tbody>{arms}</tbody>
            </table>
            {if hidden {
                view! { <p class="muted">"Lift hidden until the planned end date."</p> }.into_any()
            } else {
                view! {
                    <table class="comparisons">
                        <thead><tr><th>"vs " {control.clone()}</th><th class="num">"Lift"</th><th>"Interval"</th><th>"Evidence"</th></tr></thead>
                        <tbody>{comparisons}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// The primary lift with its interval at each snapshot, oldest first.
#[component]
fn LiftHistory(
    points: Vec<crate::api::results::LiftPoint>,
    thinning: Thinning,
    readings: usize,
) -> impl IntoView {
    // Said under the heading whenever some readings are left out, so nobody reads the chart
    // as every pull.
    let charted = points
        .iter()
        .map(|p| p.at)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let chosen = thinning.describe();
    let note = chosen.map(|how| {
        view! {
            <p class="muted" data-testid="lift-history-thinned">
                {format!("Showing {how}: {charted} of {} readings.", int(readings as u64))}
            </p>
        }
    });
    let scale = points
        .iter()
        .map(|p| p.low.abs().max(p.high.abs()))
        .fold(0.0, f64::max);
    view! {
        <section class="lift-history">
            <h3>"Primary lift over snapshots"</h3>
            {note}
            <table>
                <tbody>
                    {points.into_iter().map(|p| view! {
                        <tr><td>{timestamp(p.at)}</td><td>{p.arm}</td><td class="num">{signed_pct(p.lift)}</td>
                            <td><IntervalPlot low=p.low estimate=p.lift high=p.high better_when_positive=true scale /></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// One notice per amendment of the brief after launch, above the numbers: whoever reads the
/// results must know the plan they are judged against changed mid-test, when, by whom and why.
#[component]
pub fn AmendmentNotices(amendments: Vec<Amendment>) -> impl IntoView {
    (!amendments.is_empty()).then(|| {
        view! {
            <div class="amendments" role="note" aria-label="Amendments">
                {amendments.into_iter().map(|a| {
                    let what = a.what_changed();
                    let what = capitalise(&what);
                    let decisive = a.changed.iter().any(|f| f.affects_the_decision());
                    view! {
                        <p class="amendment-notice" class:decisive=decisive data-testid="amendment">
                            <strong>{format!("{what} changed on {} by {}", a.at.date_naive(), a.by)}</strong>
                            {format!(": {}", a.reason)}
                        </p>
                    }
                }).collect_view()}
            </div>
        }
    })
}

/// The field labels are ours and ASCII, so ASCII casing is enough; `char::to_uppercase` would
/// bring Unicode's 12 KB case table into the experiment page's bundle for one letter.
fn capitalise(s: &str) -> String {
    let mut s = s.to_owned();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}
