//! The domain core: lifecycle, briefs, statistics, the decision rule and attribution, in plain
//! Rust. Nothing in here knows about HTTP, Leptos or SQL, so it compiles into the wasm bundle (the
//! brief's live calculator) and is tested by unit tests beside the code. Features that span
//! several files are folders: `program/` (the dashboard's numbers), `review/` (the weekly
//! review), `stats/` (the statistics engine) and `attribution/` (counting exposures).

/// An enum's stable machine names, written once: `ALL` (every variant, in order), `slug()` (the
/// name in JSON, form values, URLs and the database, which must equal the serde name) and
/// `from_slug()`. Every enum that travels as a word uses it.
macro_rules! slugs {
    ($ty:ident { $($variant:ident => $slug:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: [$ty; [$($slug),+].len()] = [$($ty::$variant),+];

            /// The stable machine name (JSON, forms, URLs, the database).
            pub fn slug(self) -> &'static str {
                match self {
                    $($ty::$variant => $slug),+
                }
            }

            /// The variant whose slug is `s`, if any.
            pub fn from_slug(s: &str) -> Option<Self> {
                match s {
                    $($slug => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use slugs;

pub mod account;
pub mod amendment;
pub mod analysis;
pub mod attribution;
pub mod audit;
pub mod board;
pub mod brief;
pub mod decision;
pub mod experiment;
pub mod experiment_list;
pub mod export_window;
pub mod import;
pub mod learning;
pub mod lifecycle;
pub mod lift_history;
pub mod metric;
pub mod period;
pub mod plan;
pub mod pre_period;
pub mod program;
pub mod results;
pub mod review;
pub mod segments;
pub mod signoff;
pub mod stats;
pub mod url;
pub mod verdict;

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
pub(crate) mod tests {
    /// Every variant's slug is its JSON name, and `from_slug` reads it back.
    pub(crate) fn slugs_match_json<T>(
        all: &[T],
        slug: fn(T) -> &'static str,
        back: fn(&str) -> Option<T>,
    ) where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize,
    {
        for &v in all {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", slug(v))
            );
            assert_eq!(back(slug(v)), Some(v));
        }
        assert_eq!(back("no such word"), None);
    }

    #[test]
    fn every_enum_that_travels_as_a_word_is_its_json_name() {
        use super::*;
        slugs_match_json(
            &lifecycle::Status::ALL,
            lifecycle::Status::slug,
            lifecycle::Status::from_slug,
        );
        slugs_match_json(
            &results::Source::ALL,
            results::Source::slug,
            results::Source::from_slug,
        );
        slugs_match_json(
            &verdict::VerdictKind::ALL,
            verdict::VerdictKind::slug,
            verdict::VerdictKind::from_slug,
        );
        slugs_match_json(
            &signoff::SignOffRole::ALL,
            signoff::SignOffRole::slug,
            signoff::SignOffRole::from_slug,
        );
        slugs_match_json(
            &review::record::TriageOutcome::ALL,
            review::record::TriageOutcome::slug,
            review::record::TriageOutcome::from_slug,
        );
        slugs_match_json(
            &account::Role::ALL,
            account::Role::slug,
            account::Role::from_slug,
        );
        slugs_match_json(
            &crate::pull::settings::Residency::ALL,
            crate::pull::settings::Residency::slug,
            crate::pull::settings::Residency::from_slug,
        );
    }
}
