//! Multiple-testing corrections (STATISTICS.md section 6). With several treatments or guardrail
//! metrics, some comparison will cross p < 0.05 by chance; adjusted p-values keep the error rate
//! of the whole family (Bonferroni, Holm) or its false discovery rate (Benjamini-Hochberg) at
//! alpha.

use crate::domain::metric::Correction;

/// Adjusted p-values in input order. `None` entries (no result, or the Bayesian engine) are left
/// out of the family size m and stay `None`.
pub fn adjust(p_values: &[Option<f64>], correction: Correction) -> Vec<Option<f64>> {
    let present: Vec<(usize, f64)> = p_values
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, p)))
        .collect();
    let m = present.len() as f64;
    let mut sorted = present.clone();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut adjusted = p_values.to_vec();
    match correction {
        Correction::None => {}
        Correction::Bonferroni => {
            for (i, p) in present {
                adjusted[i] = Some((m * p).min(1.0));
            }
        }
        Correction::Holm => {
            // Step down: p~(i) = max over j <= i of min(1, (m - j + 1) p(j)), with j from 1.
            let mut running = 0.0_f64;
            for (rank, (i, p)) in sorted.into_iter().enumerate() {
                running = running.max(((m - rank as f64) * p).min(1.0));
                adjusted[i] = Some(running);
            }
        }
        Correction::BenjaminiHochberg => {
            // Step up: p~(i) = min over j >= i of min(1, m p(j) / j), so walk from the largest.
            // Written p / (j/m), as statsmodels does: for j = m it is exactly p, whereas m*p/m can
            // round one ulp below p.
            let mut running = 1.0_f64;
            for (rank, (i, p)) in sorted.into_iter().enumerate().rev() {
                running = running.min((p / ((rank as f64 + 1.0) / m)).min(1.0));
                adjusted[i] = Some(running);
            }
        }
    }
    adjusted
}
