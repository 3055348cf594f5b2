//! The program's win rate: tests concluded with a ship verdict over all concluded tests, with the
//! Wilson 95% interval (honest at the small counts a program has: a quarter of 6 tests), and the
//! one-line reading against the industry's 10-25% band.

use serde::{Deserialize, Serialize};

/// The 97.5th percentile of the standard normal: a two-sided 95% interval.
pub const Z95: f64 = 1.959963984540054;

/// The band most experimentation programs land in (PRODUCT.md): below it the hypotheses are
/// probably off, above it the tests are probably too timid.
pub const BAND_LOW: f64 = 0.10;
pub const BAND_HIGH: f64 = 0.25;

/// Under this many concluded tests the reading is marked tentative: one more win moves the rate
/// by 10 points or more, and the interval is wider than the band itself.
pub const FEW: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Wilson score interval for `hits` out of `n` (Wilson 1927; Newcombe 1998, method 3). None when
/// there is nothing to estimate. Unlike the normal approximation it never leaves [0, 1] and is
/// not zero-width at 0 or n hits.
pub fn wilson(hits: u64, n: u64) -> Option<Interval> {
    if n == 0 || hits > n {
        return None;
    }
    let (k, n) = (hits as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Where a win rate sits against the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reading {
    NoData,
    Below,
    Inside,
    Above,
}

crate::domain::slugs!(Reading { NoData => "no-data", Below => "below", Inside => "inside", Above => "above" });

impl Reading {
    pub fn of(rate: Option<f64>) -> Self {
        match rate {
            None => Reading::NoData,
            Some(r) if r < BAND_LOW => Reading::Below,
            Some(r) if r > BAND_HIGH => Reading::Above,
            Some(_) => Reading::Inside,
        }
    }

    /// The one-line reading the dashboard shows under the win rate.
    pub fn sentence(self) -> &'static str {
        match self {
            Reading::NoData => {
                "No concluded tests yet: the win rate appears with the first verdict."
            }
            Reading::Below => "Below the 10-25% band: the hypotheses may be off.",
            Reading::Inside => "Inside the 10-25% band most programs land in.",
            Reading::Above => "Above the 10-25% band: are the tests ambitious enough?",
        }
    }
}

/// Shipped out of concluded (invalid ones are left out of both and reported apart: a broken
/// test says nothing about the idea, as Eppo also counts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub shipped: u64,
    pub concluded: u64,
}

impl Tally {
    pub fn rate(self) -> Option<f64> {
        (self.concluded > 0).then(|| self.shipped as f64 / self.concluded as f64)
    }

    pub fn interval(self) -> Option<Interval> {
        wilson(self.shipped, self.concluded)
    }

    pub fn reading(self) -> Reading {
        Reading::of(self.rate())
    }

    /// The reading with its evidence: "Above the band … (3 of 4 shipped; few tests, 95% interval
    /// 30% to 95%)".
    pub fn describe(self) -> String {
        let Some(interval) = self.interval() else {
            return self.reading().sentence().to_owned();
        };
        let few = if self.concluded < FEW {
            "few tests, "
        } else {
            ""
        };
        format!(
            "{} ({} of {} shipped; {few}95% interval {:.0}% to {:.0}%)",
            self.reading().sentence(),
            self.shipped,
            self.concluded,
            interval.low * 100.0,
            interval.high * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_newcombe_1998_table_one() {
        // (hits, n, low, high), Wilson score method, Newcombe (1998) Stat Med 17:857, Table I.
        for (k, n, low, high) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
            (29, 29, 0.8830, 1.0),
        ] {
            let i = wilson(k, n).unwrap();
            assert!(close(i.low, low) && close(i.high, high), "{k}/{n}: {i:?}");
        }
    }

    #[test]
    fn one_win_in_four_worked_by_hand() {
        // p = 0.25, z² = 3.8415: centre = (0.25 + 0.4802) / 1.9604 = 0.3725,
        // half = 1.96 / 1.9604 * sqrt(0.046875 + 0.060023) = 0.3269.
        let i = wilson(1, 4).unwrap();
        assert!(close(i.low, 0.0456) && close(i.high, 0.6994), "{i:?}");
    }

    #[test]
    fn nothing_concluded_has_no_rate_and_says_so() {
        let t = Tally {
            shipped: 0,
            concluded: 0,
        };
        assert_eq!((t.rate(), t.interval()), (None, None));
        assert_eq!(t.reading(), Reading::NoData);
        assert!(t.describe().starts_with("No concluded tests yet"));
    }

    #[test]
    fn the_reading_places_the_rate_against_the_band_edges_included() {
        assert_eq!(Reading::of(Some(0.0999)), Reading::Below);
        assert_eq!(Reading::of(Some(0.10)), Reading::Inside);
        assert_eq!(Reading::of(Some(0.25)), Reading::Inside);
        assert_eq!(Reading::of(Some(0.2501)), Reading::Above);
        let t = Tally {
            shipped: 3,
            concluded: 4,
        };
        assert_eq!(
            t.describe(),
            "Above the 10-25% band: are the tests ambitious enough? (3 of 4 shipped; few tests, \
             95% interval 30% to 95%)"
        );
    }
}
