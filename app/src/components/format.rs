//! The only place numbers and dates become display strings.

use chrono::{DateTime, NaiveDate, Utc};

/// 57763 -> "57,763".
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 0.0512 -> "5.12%" (trailing zeros dropped).
pub fn pct(fraction: f64) -> String {
    let s = format!("{:.2}", fraction * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// A fraction as the number typed into a percent field: 0.05 -> "5".
pub fn pct_input(fraction: Option<f64>) -> String {
    fraction
        .map(|f| pct(f).trim_end_matches('%').to_owned())
        .unwrap_or_default()
}

pub fn date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(int(57763), "57,763");
        assert_eq!(int(1_000_000), "1,000,000");
        assert_eq!(int(999), "999");
        assert_eq!(pct(0.05), "5%");
        assert_eq!(pct(0.1234), "12.34%");
        assert_eq!(pct_input(Some(0.025)), "2.5");
    }
}
