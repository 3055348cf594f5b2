//! The learnings library: finished experiments, searchable and filterable, so the next proposal
//! starts from what the program already learned.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::verdict::{Verdict, VerdictKind};

/// The learnings page's search and filters, as URL parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LearningQuery {
    pub q: String,
    /// A verdict slug: ship, dont_ship, inconclusive, invalid.
    pub verdict: String,
    pub team: String,
    pub surface: String,
    /// The primary metric's name.
    pub metric: String,
    pub tag: String,
}

impl LearningQuery {
    pub fn verdict_kind(&self) -> Option<VerdictKind> {
        VerdictKind::from_slug(self.verdict.trim())
    }

    pub fn to_query_string(&self) -> String {
        super::url::query_string(
            [
                ("q", &self.q),
                ("verdict", &self.verdict),
                ("team", &self.team),
                ("surface", &self.surface),
                ("metric", &self.metric),
                ("tag", &self.tag),
            ]
            .map(|(k, v)| (k, v.as_str())),
        )
    }
}

/// Words people type, lowercased, at most ten (a longer query is a paste, not a search).
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(10)
        .collect()
}

/// An FTS5 query that matches documents holding every word, each as a prefix ("refund" finds
/// "refunds"). Each word is quoted, so nothing typed can be read as FTS5 syntax (`AND`, `NEAR`,
/// `col:`, a stray quote). None when nothing searchable was typed.
pub fn fts_query(q: &str) -> Option<String> {
    let words = search_words(q);
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// An FTS5 query matching documents holding ANY of the words (each a quoted prefix): what
/// "similar" means while someone is still typing a proposal's title. Words under three letters
/// ("a", "on") would match nearly everything and are left out.
pub fn fts_any(q: &str) -> Option<String> {
    let words: Vec<String> = search_words(q)
        .into_iter()
        .filter(|w| w.chars().count() >= 3)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

/// Marks that SQLite's `snippet()` puts around matched words; control characters, so they can
/// never collide with typed text, and the page renders the highlight without raw HTML.
pub const HIT_START: char = '\u{1}';
pub const HIT_END: char = '\u{2}';

/// A piece of a search snippet: matched words are `hit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

pub fn segments(snippet: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for (i, part) in snippet.split(HIT_START).enumerate() {
        let (hit, rest) = match part.split_once(HIT_END) {
            Some((hit, rest)) if i > 0 => (Some(hit), rest),
            _ => (None, part),
        };
        if let Some(h) = hit.filter(|h| !h.is_empty()) {
            out.push(Segment {
                text: h.to_owned(),
                hit: true,
            });
        }
        if !rest.is_empty() {
            out.push(Segment {
                text: rest.replace(HIT_END, ""),
                hit: false,
            });
        }
    }
    out
}

/// One finished experiment in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Learning {
    pub key: String,
    pub title: String,
    pub team: String,
    pub surface: String,
    pub tags: Vec<String>,
    pub verdict: Option<Verdict>,
    pub metric: String,
    pub ended: Option<NaiveDate>,
    pub summary: String,
    pub lessons: String,
    /// Where the search words matched, when searching.
    pub snippet: Vec<Segment>,
}

/// What the filter menus offer: values that occur among finished experiments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearningFacets {
    pub teams: Vec<String>,
    pub surfaces: Vec<String>,
    pub metrics: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learnings {
    pub hits: Vec<Learning>,
    pub facets: LearningFacets,
    /// Finished experiments in all, to tell "no learnings yet" from "nothing matches".
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_matches_any_word_of_three_letters_or_more_and_quotes_each() {
        assert_eq!(
            fts_any("One-page checkout on mobile").as_deref(),
            Some("\"one\"* OR \"page\"* OR \"checkout\"* OR \"mobile\"*")
        );
        assert_eq!(fts_any("a b"), None);
        assert_eq!(fts_any("NEAR(\"x\")").as_deref(), Some("\"near\"*"));
    }

    #[test]
    fn typed_text_becomes_quoted_prefix_terms_and_never_fts_syntax() {
        assert_eq!(
            fts_query("Refund rates"),
            Some("\"refund\"* \"rates\"*".into())
        );
        assert_eq!(
            fts_query("title:x OR \"y"),
            Some("\"title\"* \"x\"* \"or\"* \"y\"*".into())
        );
        assert_eq!(fts_query("  -- ** "), None);
    }

    #[test]
    fn a_snippet_splits_into_plain_and_highlighted_segments() {
        let s = format!("lost {HIT_START}refunds{HIT_END} on <b>mobile</b>");
        let parts = segments(&s);
        assert_eq!(
            parts,
            [
                Segment {
                    text: "lost ".into(),
                    hit: false
                },
                Segment {
                    text: "refunds".into(),
                    hit: true
                },
                Segment {
                    text: " on <b>mobile</b>".into(),
                    hit: false
                },
            ]
        );
    }
}
