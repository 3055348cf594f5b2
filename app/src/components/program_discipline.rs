//! The dashboard's "does the program follow its own rules" section: durations, briefs complete
//! before launch, decisions that followed the rule (with every override), and SRM failures.

use leptos::prelude::*;

use super::program_sections::{cohort_href, percent, Count};
use crate::domain::program::cohort::Cohort;
use crate::domain::program::report::Report;
use crate::domain::program::ProgramQuery;

fn days(d: Option<f64>) -> String {
    d.map_or("–".into(), |d| {
        if d.fract() == 0.0 {
            format!("{d:.0} days")
        } else {
            format!("{d:.1} days")
        }
    })
}

#[component]
pub fn DisciplineSection(report: std::sync::Arc<Report>, query: ProgramQuery) -> impl IntoView {
    let href = |c: Cohort| cohort_href(&query, &c);
    let d = &report.durations;
    let decisions = &report.decisions;
    let srm = &report.srm;
    let followed = decisions.followed.share_of(&decisions.decided);
    let complete = report.brief_complete.share_of(&report.launched);
    let srm_rate = srm.failed.share_of(&srm.checked);
    let incomplete = report.launched.n - report.brief_complete.n;
    view! {
        <section class="program-section" aria-labelledby="discipline">
            <h2 id="discipline">"Following the rules"</h2>
            <div class="grid two">
                <div class="rule-card">
                    <h3>"Duration: planned vs actual (median)"</h3>
                    <p class="big">{days(d.planned_median_days)}" → "{days(d.actual_median_days)}</p>
                    <p class="muted">
                        "Over " <Count group=d.timed.clone() href=href(Cohort::Timed) /> " concluded tests; "
                        <Count group=d.ran_over.clone() href=href(Cohort::RanOver) /> " ran longer than planned, "
                        <Count group=d.stopped_early.clone() href=href(Cohort::StoppedEarly) /> " stopped early with a reason."
                    </p>
                </div>
                <div class="rule-card">
                    <h3>"Brief complete before launch"</h3>
                    <p class="big" data-testid="briefs-complete"><a class="num" href=href(Cohort::BriefComplete)>{percent(complete)}</a></p>
                    <p class="muted">
                        <Count group=report.brief_complete.clone() href=href(Cohort::BriefComplete) /> " of "
                        <Count group=report.launched.clone() href=href(Cohort::Launched(None)) /> " launched; "
                        <a class="num" href=href(Cohort::BriefIncomplete)>{incomplete}</a> " launched without a complete brief. Briefs lock at launch, so the stored brief is the one each test launched with."
                    </p>
                </div>
                <div class="rule-card">
                    <h3>"Decisions that followed the rule"</h3>
                    <p class="big" data-testid="followed"><a class="num" href=href(Cohort::Followed)>{percent(followed)}</a></p>
                    <p class="muted">
                        <Count group=decisions.followed.clone() href=href(Cohort::Followed) /> " of "
                        <Count group=decisions.decided.clone() href=href(Cohort::Decided) /> " decisions with the rule's verdict recorded; "
                        <Count group=decisions.no_results.clone() href=href(Cohort::NoResults) /> " concluded with no results recorded, counted apart."
                    </p>
                </div>
                <div class="rule-card">
                    <h3>"Sample ratio mismatch"</h3>
                    <p class="big" data-testid="srm-rate"><a class="num" href=href(Cohort::SrmFailed)>{percent(srm_rate)}</a></p>
                    <p class="muted">
                        <Count group=srm.failed.clone() href=href(Cohort::SrmFailed) /> " of "
                        <Count group=srm.checked.clone() href=href(Cohort::SrmChecked) /> " launched tests fail the split check on their latest results (p < 0.001); "
                        <Count group=srm.unchecked.clone() href=href(Cohort::SrmUnchecked) /> " have no results or too few users to check."
                    </p>
                </div>
            </div>
            <h3>"Overrides: decisions against the rule"</h3>
            {if decisions.overrides.is_empty() {
                view! { <p class="muted">"No decision went against the rule's verdict."</p> }.into_any()
            } else {
                view! {
                    <table class="overrides">
                        <thead><tr><th scope="col">"Experiment"</th><th scope="col">"Decided"</th><th scope="col">"The rule said"</th><th scope="col">"Reason given"</th></tr></thead>
                        <tbody>
                            {decisions.overrides.iter().map(|o| view! {
                                <tr>
                                    <td><a href=format!("/experiments/{}", o.key)>{o.title.clone()}</a><br /><code>{o.key.clone()}</code></td>
                                    <td>{o.verdict.describe()}</td>
                                    <td>{o.computed.describe()}</td>
                                    <td>{o.reason.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
