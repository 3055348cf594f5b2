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
    /// One event of a count metric.
    pub const ONE: Amount = Amount::Exact { units: 1, scale: 0 };

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

    /// Includes a typed number (a fixed cap), so sums keep its digits too.
    pub fn include_decimal(&mut self, value: Decimal) {
        match (i64::try_from(value.units), u8::try_from(value.scale)) {
            (Ok(units), Ok(scale)) => self.include(Amount::Exact { units, scale }),
            _ => self.float = true,
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

impl UserTotal {
    /// 1 or 0 at scale 0: a conversion as a number (pre- and post-period of a proportion).
    pub fn flag(on: bool) -> Self {
        Self {
            exact: Some(i128::from(on)),
            approx: f64::from(u8::from(on)),
        }
    }

    /// An exact total of `units` at the metric's scale.
    fn of_units(units: i64, precision: Precision) -> Self {
        Self {
            exact: Some(i128::from(units)),
            approx: units as f64 / 10f64.powi(precision.scale as i32),
        }
    }

    /// A fixed cap typed by a person, at the metric's scale (which includes the cap's own).
    pub fn of_decimal(value: Decimal, precision: Precision) -> Self {
        let exact = (!precision.float)
            .then(|| {
                let factor = 10i128.checked_pow(precision.scale.checked_sub(value.scale)?)?;
                value.units.checked_mul(factor)
            })
            .flatten();
        Self {
            exact,
            approx: value.to_f64(),
        }
    }

    /// The smaller of the two (winsorizing at `cap`), exact when both are.
    pub fn min(self, cap: UserTotal) -> Self {
        match (self.exact, cap.exact) {
            (Some(a), Some(b)) => {
                if b < a {
                    cap
                } else {
                    self
                }
            }
            _ if cap.approx < self.approx => Self {
                exact: None,
                approx: cap.approx,
            },
            _ => Self {
                exact: None,
                ..self
            },
        }
    }

    /// Orders totals of one metric: exactly when both are exact.
    pub fn total_cmp(&self, other: &UserTotal) -> std::cmp::Ordering {
        match (self.exact, other.exact) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.approx.total_cmp(&other.approx),
        }
    }

    /// The value as the report shows it, at the metric's precision.
    pub fn quantity(self, precision: Precision) -> Quantity {
        match (self.exact, precision.float) {
            (Some(units), false) => Quantity::Exact(Decimal::new(units, precision.scale)),
            _ => Quantity::Approx(self.approx),
        }
    }
}

/// One capped metric's per-user totals for an experiment, kept to find a percentile: 8 bytes a
/// user while every total is exact and fits an `i64` (nearly always), else whole totals.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Exact(Vec<i64>),
    Whole(Vec<UserTotal>),
}

impl Default for Pool {
    fn default() -> Self {
        Self::Exact(Vec::new())
    }
}

impl Pool {
    pub fn push(&mut self, total: UserTotal, precision: Precision) {
        match self {
            Self::Exact(values) => match total.exact.and_then(|e| i64::try_from(e).ok()) {
                Some(exact) => values.push(exact),
                None => {
                    let mut whole: Vec<UserTotal> = values
                        .iter()
                        .map(|&units| UserTotal::of_units(units, precision))
                        .collect();
                    whole.push(total);
                    *self = Self::Whole(whole);
                }
            },
            Self::Whole(values) => values.push(total),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Exact(values) => values.len(),
            Self::Whole(values) => values.len(),
        }
    }

    /// The total at 0-based `index` in ascending order (a selection, not a sort).
    pub fn nth_smallest(&mut self, index: usize, precision: Precision) -> Option<UserTotal> {
        if index >= self.len() {
            return None;
        }
        Some(match self {
            Self::Exact(values) => {
                UserTotal::of_units(*values.select_nth_unstable(index).1, precision)
            }
            Self::Whole(values) => *values.select_nth_unstable_by(index, UserTotal::total_cmp).1,
        })
    }
}

/// A running sum of per-user terms (values or products of two), exact while every term is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sum {
    exact: Option<i128>,
    approx: f64,
}

impl Default for Sum {
    fn default() -> Self {
        Self {
            exact: Some(0),
            approx: 0.0,
        }
    }
}

impl Sum {
    pub fn add(&mut self, value: UserTotal) {
        self.approx += value.approx;
        self.exact = self
            .exact
            .zip(value.exact)
            .and_then(|(sum, v)| sum.checked_add(v));
    }

    pub fn add_product(&mut self, a: UserTotal, b: UserTotal) {
        self.approx += a.approx * b.approx;
        self.exact = match (self.exact, a.exact, b.exact) {
            (Some(sum), Some(a), Some(b)) => a.checked_mul(b).and_then(|p| sum.checked_add(p)),
            _ => None,
        };
    }

    /// The sum at `scale` (the terms' scale; a product's is the sum of its factors'), exact
    /// unless a term was a float or the sum overflowed.
    pub fn finish(self, scale: u32, float: bool) -> Quantity {
        match (self.exact, float) {
            (Some(units), false) => Quantity::Exact(Decimal::new(units, scale)),
            _ => Quantity::Approx(self.approx),
        }
    }
}

impl Precision {
    /// Counts and conversions: whole numbers, always exact.
    pub const WHOLE: Precision = Precision {
        scale: 0,
        float: false,
    };

    pub fn scale(self) -> u32 {
        self.scale
    }

    pub fn is_float(self) -> bool {
        self.float
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

    /// A plain decimal as typed (`12.5`, `-3`); None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !plain(whole) || !plain(fraction) {
            return None;
        }
        match Amount::parse_exact(text.as_bytes())? {
            Amount::Exact { units, scale } if !text.is_empty() && text != "-" => {
                Some(Self::new(i128::from(units), u32::from(scale)))
            }
            _ => None,
        }
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
