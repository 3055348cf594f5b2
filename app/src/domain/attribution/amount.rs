//! Numeric property values and their per-arm sums, exact whenever the export allows.
//!
//! Money arrives as decimal text (`29.19`); summing it as `f64` drifts in the last digits and a
//! sum of squares over 100k users drifts more. So a value written as a plain decimal is kept as
//! integer units at its own scale, sums run in `i128` at the metric's largest scale, and the
//! report carries an exact [`Decimal`]. Only values written with an exponent or more than 18
//! digits (or sums that would overflow `i128`) fall back to `f64`, reported as
//! [`Quantity::Approx`].

use std::fmt;

/// Beyond this many fractional digits `10^scale` no longer leaves room for sums of squares.
const MAX_EXACT_SCALE: u32 = 18;

/// One numeric property value as written in the export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Amount {
    Exact { units: i64, scale: u8 },
    Float(f64),
}

impl Amount {
    /// A missing or non-numeric property counts as 0 (the event still converts).
    pub const ZERO: Amount = Amount::Exact { units: 0, scale: 0 };

    /// Reads a JSON number that the scanner has already validated.
    pub fn parse(raw: &[u8]) -> Amount {
        Self::parse_exact(raw).unwrap_or_else(|| {
            let value = std::str::from_utf8(raw)
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .unwrap_or(0.0);
            Amount::Float(value)
        })
    }

    fn parse_exact(raw: &[u8]) -> Option<Amount> {
        let (negative, digits) = match raw.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, raw),
        };
        let mut units: i64 = 0;
        let mut scale: u32 = 0;
        let mut after_point = false;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    units = units.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                    scale += u32::from(after_point);
                }
                b'.' => after_point = true,
                _ => return None,
            }
        }
        while scale > 0 && units % 10 == 0 {
            units /= 10;
            scale -= 1;
        }
        if scale > MAX_EXACT_SCALE {
            return None;
        }
        let units = if negative { -units } else { units };
        Some(Amount::Exact {
            units,
            scale: scale as u8,
        })
    }

    pub fn to_f64(self) -> f64 {
        match self {
            Amount::Exact { units, scale } => units as f64 / 10f64.powi(i32::from(scale)),
            Amount::Float(value) => value,
        }
    }
}

/// How a value metric's amounts can be summed: at which common scale, or only as floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Precision {
    scale: u32,
    float: bool,
}

impl Precision {
    pub fn include(&mut self, amount: Amount) {
        match amount {
            Amount::Exact { scale, .. } => self.scale = self.scale.max(u32::from(scale)),
            Amount::Float(_) => self.float = true,
        }
    }

    pub fn merge(&mut self, other: Precision) {
        self.scale = self.scale.max(other.scale);
        self.float |= other.float;
    }
}

/// One user's total for one value metric.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserTotal {
    exact: Option<i128>,
    approx: f64,
}

impl UserTotal {
    pub fn new(precision: Precision) -> Self {
        Self {
            exact: (!precision.float).then_some(0),
            approx: 0.0,
        }
    }

    pub fn add(&mut self, amount: Amount, precision: Precision) {
        self.approx += amount.to_f64();
        self.exact = match (self.exact, amount) {
            (Some(total), Amount::Exact { units, scale }) => {
                let factor = 10i128.checked_pow(precision.scale - u32::from(scale));
                factor
                    .and_then(|f| i128::from(units).checked_mul(f))
                    .and_then(|u| total.checked_add(u))
            }
            _ => None,
        };
    }
}

/// An arm's running n, sum and sum of squares of per-user totals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArmTotals {
    n: u64,
    exact: Option<(i128, i128)>,
    approx: (f64, f64),
}

impl Default for ArmTotals {
    fn default() -> Self {
        Self {
            n: 0,
            exact: Some((0, 0)),
            approx: (0.0, 0.0),
        }
    }
}

impl ArmTotals {
    pub fn add_user(&mut self, user: UserTotal) {
        self.n += 1;
        self.exact = match (self.exact, user.exact) {
            (Some((sum, squares)), Some(value)) => value
                .checked_mul(value)
                .and_then(|sq| Some((sum.checked_add(value)?, squares.checked_add(sq)?))),
            _ => None,
        };
        self.approx.0 += user.approx;
        self.approx.1 += user.approx * user.approx;
    }

    /// `(n, sum, sum_squares)` in the property's own units.
    pub fn finish(self, precision: Precision) -> (u64, Quantity, Quantity) {
        match (self.exact, precision.float) {
            (Some((sum, squares)), false) => (
                self.n,
                Quantity::Exact(Decimal::new(sum, precision.scale)),
                Quantity::Exact(Decimal::new(squares, precision.scale * 2)),
            ),
            _ => (
                self.n,
                Quantity::Approx(self.approx.0),
                Quantity::Approx(self.approx.1),
            ),
        }
    }
}

/// A sum or sum of squares: exact decimal when the inputs allowed it, else a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    Exact(Decimal),
    Approx(f64),
}

impl Quantity {
    pub fn to_f64(self) -> f64 {
        match self {
            Quantity::Exact(decimal) => decimal.to_f64(),
            Quantity::Approx(value) => value,
        }
    }
}

/// Shortest exact decimal text (`9986.68`); floats use Rust's shortest round-trip form.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Exact(decimal) => decimal.fmt(f),
            Quantity::Approx(value) => value.fmt(f),
        }
    }
}

/// `units / 10^scale`, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    units: i128,
    scale: u32,
}

impl Decimal {
    pub fn new(units: i128, scale: u32) -> Self {
        Self { units, scale }
    }

    pub fn units(self) -> i128 {
        self.units
    }

    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The nearest `f64` (parsed from the exact text, so correctly rounded).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.units.unsigned_abs().to_string();
        let sign = if self.units < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        let (whole, fraction) = if digits.len() > scale {
            let (w, fr) = digits.split_at(digits.len() - scale);
            (w.to_owned(), fr.to_owned())
        } else {
            ("0".to_owned(), format!("{digits:0>scale$}"))
        };
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_are_exact_and_exponents_are_floats() {
        assert_eq!(
            Amount::parse(b"29.19"),
            Amount::Exact {
                units: 2919,
                scale: 2
            }
        );
        assert_eq!(
            Amount::parse(b"-12.50"),
            Amount::Exact {
                units: -125,
                scale: 1
            }
        );
        assert_eq!(Amount::parse(b"1e3"), Amount::Float(1000.0));
        assert!(matches!(
            Amount::parse(b"123456789012345678901"),
            Amount::Float(_)
        ));
    }

    #[test]
    fn sums_mix_scales_exactly() {
        let amounts = [
            Amount::parse(b"0.1"),
            Amount::parse(b"0.25"),
            Amount::parse(b"3"),
        ];
        let mut precision = Precision::default();
        amounts.iter().for_each(|&a| precision.include(a));
        let mut user = UserTotal::new(precision);
        amounts.iter().for_each(|&a| user.add(a, precision));
        let mut arm = ArmTotals::default();
        arm.add_user(user);
        arm.add_user(UserTotal::new(precision));
        let (n, sum, squares) = arm.finish(precision);
        assert_eq!(n, 2);
        assert_eq!(sum.to_string(), "3.35");
        assert_eq!(squares.to_string(), "11.2225");
    }

    #[test]
    fn a_float_amount_turns_the_metric_approximate() {
        let mut precision = Precision::default();
        precision.include(Amount::parse(b"2.5e0"));
        let mut user = UserTotal::new(precision);
        user.add(Amount::parse(b"2.5e0"), precision);
        let mut arm = ArmTotals::default();
        arm.add_user(user);
        assert_eq!(
            arm.finish(precision),
            (1, Quantity::Approx(2.5), Quantity::Approx(6.25))
        );
    }

    #[test]
    fn decimals_print_without_trailing_zeros() {
        assert_eq!(Decimal::new(998_668, 2).to_string(), "9986.68");
        assert_eq!(Decimal::new(-5, 3).to_string(), "-0.005");
        assert_eq!(Decimal::new(1_000, 2).to_string(), "10");
        assert_eq!(Decimal::new(0, 4).to_string(), "0");
        assert_eq!(Decimal::new(33_064_672_788, 4).to_f64(), 3_306_467.278_8);
    }
}
