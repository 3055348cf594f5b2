//! The only place numbers and dates become display strings.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

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

// Written out rather than through chrono's `format`: its format-string parser is sizeable code
// in the browser's bundle, and these two patterns are all the pages use.
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn day_month_year(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// "Thu 7 Jan 2027" (as `%a %-d %b %Y`).
pub fn date(d: NaiveDate) -> String {
    let weekday = WEEKDAYS[d.weekday().num_days_from_monday() as usize];
    format!("{weekday} {}", day_month_year(d))
}

/// "7 Dec 2026 03:39 UTC" (as `%-d %b %Y %H:%M UTC`).
pub fn timestamp(t: DateTime<Utc>) -> String {
    let d = t.date_naive();
    format!(
        "{} {:02}:{:02} UTC",
        day_month_year(d),
        t.hour(),
        t.minute()
    )
}

/// A date typed as `YYYY-MM-DD` (an `<input type="date">`'s value); anything else is `None`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
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

    #[test]
    fn dates_read_as_chronos_format_would_write_them() {
        let mut d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        // Every day of a leap year, and every hour and minute of one day, against chrono's own
        // formatting of the same patterns.
        for _ in 0..366 {
            assert_eq!(date(d), d.format("%a %-d %b %Y").to_string());
            assert_eq!(parse_date(&d.to_string()), Some(d));
            d = d.succ_opt().unwrap();
        }
        let start = NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        for minute in 0..24 * 60 {
            let t = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(59);
            assert_eq!(timestamp(t), t.format("%-d %b %Y %H:%M UTC").to_string());
        }
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2027, 1, 7).unwrap()),
            "Thu 7 Jan 2027"
        );
    }

    #[test]
    fn a_date_field_reads_only_real_dates() {
        assert_eq!(
            parse_date("2027-01-07"),
            NaiveDate::from_ymd_opt(2027, 1, 7)
        );
        for bad in [
            "",
            "2027-02-30",
            "2027-13-01",
            "2027-01",
            "07/01/2027",
            "2027-01-07-1",
            "x-1-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
