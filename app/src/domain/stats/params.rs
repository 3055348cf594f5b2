//! Validated knobs of the tests. Each is checked once where raw input enters (the API request or
//! the brief), so the maths below never sees an alpha of 1.5 or a prior with no spread and never
//! has to return NaN for one.

/// A significance level (or an SRM threshold): a probability strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Alpha(f64);

impl Alpha {
    /// The conventional 5%, the API default.
    pub const FIVE_PERCENT: Alpha = Alpha(0.05);
    /// The SRM default: a split this unlikely under the planned weights means broken assignment.
    pub const SRM_DEFAULT: Alpha = Alpha(0.001);

    pub fn new(value: f64) -> Option<Self> {
        (value > 0.0 && value < 1.0).then_some(Self(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// The sequential test's tuning N*: the total sample size at which its interval is narrowest.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Tuning(f64);

impl Tuning {
    /// gbstats' default, and the API's.
    pub const DEFAULT: Tuning = Tuning(5000.0);

    pub fn new(value: f64) -> Option<Self> {
        (value > 0.0 && value.is_finite()).then_some(Self(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// A proper normal prior on the relative lift: what the team believed before the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    mean: f64,
    stddev: f64,
}

impl Prior {
    pub fn new(mean: f64, stddev: f64) -> Option<Self> {
        (mean.is_finite() && stddev > 0.0 && stddev.is_finite()).then_some(Self { mean, stddev })
    }

    pub fn mean(self) -> f64 {
        self.mean
    }

    pub fn stddev(self) -> f64 {
        self.stddev
    }
}
