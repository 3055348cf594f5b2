//! Verdict's statistics engine: every number the product shows or decides on, implemented once as
//! pure functions (no IO, no clock, no threads) so the same code runs in the browser's live
//! calculator and on the server. The formulas are ../shared/STATISTICS.md, to the letter; the tests
//! beside this module check them against values computed in Python with gbstats, scipy and
//! statsmodels (`scripts/stats_reference.py` writes `reference.json`).
//!
//! Two layers:
//! - the stateless JSON contract of section 7: [`sample_size`] / [`achieved_power`] and
//!   [`analyze`], with request and response types whose serde shape is the API;
//! - typed building blocks for the UI and the decision rule: [`ArmSummary`], [`welch`],
//!   [`sequential`], [`bayesian`], [`srm`], [`adjust`], [`is_better`].

mod analyze;
mod bayesian;
mod correction;
mod cuped;
#[cfg(test)]
mod cuped_tests;
mod distributions;
mod error;
mod no_result;
mod params;
mod request;
mod response;
mod sample_size;
mod sequential;
mod srm;
mod summary;
mod validate;
mod welch;

#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod reference_table;
#[cfg(test)]
mod reference_tests;

pub use analyze::analyze;
pub use bayesian::{bayesian, Bayesian};
pub use correction::adjust;
pub use error::{InputProblem, StatsInputError};
pub use no_result::{Degenerate, NoResult};
pub use params::{Alpha, Prior, Tuning};
pub use request::{
    AnalyzeRequest, ArmInput, ArmValues, CovariateInput, MeanValues, MetricInput, PriorInput,
    ProportionValues, RatioValues,
};
pub use response::{
    AnalyzeResponse, ArmStats, Comparison, Cuped, Estimate, Evidence, MetricResult, PrePeriod,
};
pub use sample_size::{
    achieved_power, sample_size, try_achieved_power, SampleSizeBaseline, SampleSizeRequest,
    SampleSizeResponse,
};
pub use sequential::{sequential, Sequential};
pub use srm::{srm, Srm, SrmStatus};
pub use summary::{ArmSummary, Side};
pub use welch::{welch, Effect, FixedHorizon};

use crate::domain::metric::Direction;

/// Whether a change (a lift or a difference, treatment minus control) moves the metric the way the
/// team wants. A zero change is never better. The one place direction flips meaning, so a bounce
/// rate that falls counts as a win everywhere.
pub fn is_better(direction: Direction, change: f64) -> bool {
    match direction {
        Direction::Increase => change > 0.0,
        Direction::Decrease => change < 0.0,
    }
}

/// The mirror of [`is_better`]: the change moves the metric the way the team fears.
pub fn is_worse(direction: Direction, change: f64) -> bool {
    match direction {
        Direction::Increase => change < 0.0,
        Direction::Decrease => change > 0.0,
    }
}
