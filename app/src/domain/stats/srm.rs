//! Sample ratio mismatch (STATISTICS.md section 5): a chi-square test of the observed split of
//! users against the planned weights. A mismatch means assignment or logging is broken, so the
//! test is invalid whatever its metrics say.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::params::Alpha;

/// Whether the split can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum SrmStatus {
    Healthy,
    /// p below the threshold: the verdict can never be "ship".
    Unhealthy,
    /// Fewer than 8 users per arm on average: too early to tell.
    NotEnoughTraffic,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Srm {
    pub p_value: f64,
    /// None when no user has arrived yet (there is nothing to test).
    pub chi2: Option<f64>,
    pub status: SrmStatus,
}

/// Users per arm against the planned weights (any positive scale; they need not sum to 1).
/// Arms with a non-positive weight are left out of the statistic, as gbstats does, rather than
/// dividing by zero; `analyze` rejects such weights before they get here.
pub fn srm(users: &[u64], weights: &[f64], threshold: Alpha) -> Srm {
    let k = users.len().min(weights.len());
    let total: f64 = users[..k].iter().map(|&u| u as f64).sum();
    let total_weight: f64 = weights[..k].iter().filter(|w| **w > 0.0).sum();
    let enough = k >= 2 && total >= 8.0 * k as f64;
    if total == 0.0 || k < 2 {
        return Srm {
            p_value: 1.0,
            chi2: None,
            status: SrmStatus::NotEnoughTraffic,
        };
    }
    let chi2: f64 = users[..k]
        .iter()
        .zip(&weights[..k])
        .filter(|(_, w)| **w > 0.0)
        .map(|(&observed, w)| {
            let expected = w / total_weight * total;
            (observed as f64 - expected).powi(2) / expected
        })
        .sum();
    let dist = ChiSquared::new((k - 1) as f64).expect("k >= 2, so df >= 1");
    let p_value = dist.sf(chi2);
    let status = if !enough {
        SrmStatus::NotEnoughTraffic
    } else if p_value < threshold.get() {
        SrmStatus::Unhealthy
    } else {
        SrmStatus::Healthy
    };
    Srm {
        p_value,
        chi2: Some(chi2),
        status,
    }
}
