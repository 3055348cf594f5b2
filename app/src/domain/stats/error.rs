//! Bad input to the statistics API. The HTTP layer turns this into a 400 with
//! `{"error": "<Display>"}`, so the message must name the field (as a path into the request) and
//! say what is wrong in words a client developer can act on.

use thiserror::Error;

/// A request field that cannot be analysed, e.g.
/// `metrics[0].values.B.conversions: 1200 conversions is more than n = 1000`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field}: {problem}")]
pub struct StatsInputError {
    /// Path of the offending field in the JSON request (`arms[1].users`, `alpha`, ...).
    pub field: String,
    pub problem: InputProblem,
}

impl StatsInputError {
    pub(crate) fn new(field: impl Into<String>, problem: InputProblem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputProblem {
    #[error("must be between 0 and 1 (exclusive), got {0}")]
    NotAProbability(f64),
    #[error("must be greater than 0, got {0}")]
    NotPositive(f64),
    #[error("must be a finite number, got {0}")]
    NotFinite(f64),
    #[error("must not be negative, got {0}")]
    Negative(f64),
    #[error("must not be 0")]
    Zero,
    #[error("{conversions} conversions is more than n = {n}")]
    ConversionsAboveN { conversions: i64, n: i64 },
    #[error("need at least 2 {what}, got {got}")]
    TooFew { what: &'static str, got: i64 },
    #[error("no arm named \"{0}\" in arms")]
    UnknownArm(String),
    #[error("missing: every arm needs values, and \"{0}\" has none")]
    MissingArm(String),
    #[error("the name \"{0}\" is used by an earlier arm")]
    DuplicateArm(String),
    #[error("must not be empty")]
    Empty,
    #[error("a {expected} metric needs {shape}")]
    WrongShape {
        expected: &'static str,
        shape: &'static str,
    },
    #[error("{sum_squares} is less than sum^2/n = {floor}, which no real data can give")]
    ImpossibleSumSquares { sum_squares: f64, floor: f64 },
    #[error("must be 0 when n = 0, got {0}")]
    NonZeroWithoutUsers(f64),
    #[error("a covariate must be on every arm or on none: \"{0}\" has none while others do")]
    PartialCovariate(String),
    #[error("a ratio metric cannot carry a covariate")]
    CovariateOnRatio,
    #[error("{sum} is not a number of users who had the event (0 to n = {n})")]
    CovariateAboveN { sum: f64, n: u64 },
    #[error("baseline_rate * (1 + mde_relative) = {0} is not a rate between 0 and 1 (exclusive)")]
    TreatedRateOutOfRange(f64),
    #[error("{0} is too small to plan for: it would need more than 2^53 users per arm")]
    EffectTooSmall(f64),
    #[error("{0} is too small: the plan would take more than 2^53 days")]
    TrafficTooSmall(f64),
    #[error("{0} arms times the sample size does not fit in a 64-bit count")]
    TooManyArms(i64),
    #[error("at most {limit} {what} per request, got {got}")]
    TooMany {
        what: &'static str,
        limit: usize,
        got: usize,
    },
}
