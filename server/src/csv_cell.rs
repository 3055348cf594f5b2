//! The formula-injection guard every CSV export writes through, for every cell: text that a
//! spreadsheet would run as a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`, or one starting
//! with a tab or carriage return) gets a leading quote so it shows as text. Plain numbers
//! (a lift of `-0.0123`) are left alone: they are numbers, not formulas, and a quote would stop
//! a spreadsheet summing them.

use std::borrow::Cow;

/// The cell as it is safe to write.
pub fn guard(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')
    );
    if risky && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn is_plain_number(text: &str) -> bool {
    text.len() <= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Writes one record with every field guarded.
pub fn write_record<W: std::io::Write, S: AsRef<str>>(
    out: &mut csv::Writer<W>,
    record: impl IntoIterator<Item = S>,
) -> Result<(), csv::Error> {
    out.write_record(
        record
            .into_iter()
            .map(|field| guard(field.as_ref()).into_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for risky in [
            "=HYPERLINK(\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
        ] {
            assert_eq!(guard(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["-0.0123", "+1.5", "12", "control", "", "Checkout = fast"] {
            assert_eq!(guard(plain), plain, "{plain:?}");
        }
    }
}
