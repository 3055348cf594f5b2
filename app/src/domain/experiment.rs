//! The experiment as the backlog knows it: identity, ownership, status, brief and conclusion.
//! Raw form input becomes a `NewExperiment` exactly once, in `NewExperiment::parse`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::brief::Brief;
use super::lifecycle::Status;
use super::metric::Engine;
use super::verdict::Conclusion;

/// Database identity of an experiment. i64 on both sides of the wire (never usize: wasm is 32-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ExperimentId(pub i64);

/// The experiment's key: the name the analytics tool's exposure events carry, so it is a slug
/// (`pricing_redesign_v2`) that never changes after creation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ExperimentKey(String);

/// Why a string is not an experiment key; the message completes "Key ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be 3 to 64 characters long (got {0})")]
    Length(usize),
    #[error("must start with a lowercase letter or a digit")]
    Start,
    #[error("may only hold lowercase letters, digits, '_' and '-' (found '{0}')")]
    Character(char),
}

impl ExperimentKey {
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        let key = raw.trim();
        if key.len() < 3 || key.len() > 64 {
            return Err(KeyError::Length(key.len()));
        }
        if !key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return Err(KeyError::Start);
        }
        if let Some(bad) = key
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(KeyError::Character(bad));
        }
        Ok(Self(key.to_owned()))
    }

    /// A key suggested from a title: "Pricing redesign v2" -> `pricing_redesign_v2`.
    pub fn suggest(title: &str) -> String {
        let mut out = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.trim_end_matches('_').chars().take(64).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ExperimentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything the backlog stores about one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Experiment {
    pub id: ExperimentId,
    pub key: ExperimentKey,
    pub title: String,
    pub owner: String,
    pub team: String,
    pub surface: String,
    pub tags: Vec<String>,
    pub status: Status,
    pub archived: bool,
    /// Optimistic-concurrency counter: every write bumps it, a write from an older version fails.
    pub version: i64,
    pub brief: Brief,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub conclusion: Option<Conclusion>,
    /// The experiment whose post-mortem proposed this one.
    pub follows: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Experiment {
    /// Whole days until the planned end (negative once it has passed); None without an end date.
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        self.brief.planned_end.map(|end| (end - today).num_days())
    }

    /// Running past the planned end date: the board shows an OVERDUE badge.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == Status::Running && self.days_left(today).is_some_and(|d| d < 0)
    }

    /// Running on or past the planned end date: the rule's verdict is due and the page asks
    /// for a decision.
    pub fn decision_due(&self, today: NaiveDate) -> bool {
        self.status == Status::Running && self.days_left(today).is_some_and(|d| d <= 0)
    }

    /// The no-peeking rule: until this day the primary metric's comparisons and the verdict are
    /// hidden from everyone. A fixed-horizon test (frequentist or Bayesian) is read once, at the
    /// planned end; a sequential test's intervals stay valid at every look, so it is never
    /// blind. Only a running experiment is blind: a stopped one is read as it ended.
    pub fn blind_until(&self, today: NaiveDate) -> Option<NaiveDate> {
        match (self.brief.rule.engine, self.brief.planned_end, self.status) {
            (Engine::Sequential, _, _) => None,
            (_, Some(end), Status::Running) if today < end => Some(end),
            _ => None,
        }
    }

    /// The proposal a finished experiment's post-mortem suggests: its next test idea as title
    /// and hypothesis draft, the same owner, team and surface, its tags plus `follow-up`, and a
    /// link back. The key is left for the caller to choose (it must be free), then the form goes
    /// through `NewExperiment::parse` like any other.
    pub fn follow_up(&self) -> Result<NewExperimentForm, FieldError> {
        let idea = self
            .conclusion
            .as_ref()
            .map(|c| c.post_mortem.next_idea.trim())
            .filter(|i| !i.is_empty())
            .ok_or_else(|| {
                FieldError::new(
                    "next_idea",
                    "this experiment's post-mortem has no next test idea",
                )
            })?;
        let title: String = idea.chars().take(120).collect();
        let mut tags = self.tags.clone();
        tags.push("follow-up".into());
        Ok(NewExperimentForm {
            key: ExperimentKey::suggest(&title).chars().take(56).collect(),
            title,
            hypothesis: idea.to_owned(),
            owner: self.owner.clone(),
            team: self.team.clone(),
            surface: self.surface.clone(),
            tags: tags.join(","),
            follows: self.key.to_string(),
        })
    }
}

/// A proposal as typed into the "new experiment" form: only title, hypothesis draft, owner and
/// team are required, because proposals are allowed to be rough.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewExperimentForm {
    pub key: String,
    pub title: String,
    pub hypothesis: String,
    pub owner: String,
    pub team: String,
    pub surface: String,
    pub tags: String,
    /// Set when proposed from a post-mortem's next test idea.
    #[serde(default)]
    pub follows: String,
}

/// A checked proposal. The fields are private: `NewExperiment::parse` is the only way to make
/// one, so every proposal (typed, imported, demo or a post-mortem's follow-up) passed its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    key: ExperimentKey,
    title: String,
    hypothesis: String,
    owner: String,
    team: String,
    surface: String,
    tags: Vec<String>,
    follows: Option<String>,
}

/// One problem with one input field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A problem with one place in a brief, named as the form and the JSON name it.
    pub fn brief(path: crate::domain::brief::BriefPath, message: impl Into<String>) -> Self {
        Self::new(path.to_string(), message)
    }

    /// The brief path this problem names, when it names one.
    pub fn brief_path(&self) -> Option<crate::domain::brief::BriefPath> {
        self.field.parse().ok()
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Splits "growth, Pricing ,growth" into ["growth", "pricing"]: trimmed, lowercase, unique, sorted.
pub fn parse_tags(raw: &str) -> Vec<String> {
    let mut tags: Vec<String> = raw
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

impl NewExperiment {
    pub fn key(&self) -> &ExperimentKey {
        &self.key
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    /// The first draft of the hypothesis, as typed.
    pub fn hypothesis(&self) -> &str {
        &self.hypothesis
    }
    pub fn owner(&self) -> &str {
        &self.owner
    }
    pub fn team(&self) -> &str {
        &self.team
    }
    pub fn surface(&self) -> &str {
        &self.surface
    }
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    /// The key of the experiment whose post-mortem proposed this one.
    pub fn follows(&self) -> Option<&str> {
        self.follows.as_deref()
    }

    pub fn parse(form: &NewExperimentForm) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required = |field: &str, value: &str, label: &str| {
            let v = value.trim();
            if v.is_empty() {
                errors.push(FieldError::new(field, format!("{label} is required")));
            } else if v.chars().count() > 200 {
                errors.push(FieldError::new(
                    field,
                    format!("{label} is longer than 200 characters"),
                ));
            }
            v.to_owned()
        };
        let title = required("title", &form.title, "Title");
        let owner = required("owner", &form.owner, "Owner");
        let team = required("team", &form.team, "Team");
        let hypothesis = form.hypothesis.trim().to_owned();
        if hypothesis.is_empty() {
            errors.push(FieldError::new(
                "hypothesis",
                "A hypothesis draft is required",
            ));
        }
        let raw_key = if form.key.trim().is_empty() {
            ExperimentKey::suggest(&title)
        } else {
            form.key.clone()
        };
        let key = match ExperimentKey::parse(&raw_key) {
            Ok(k) => Some(k),
            Err(e) => {
                errors.push(FieldError::new("key", format!("Key {e}")));
                None
            }
        };
        match key {
            Some(key) if errors.is_empty() => Ok(Self {
                key,
                title,
                hypothesis,
                owner,
                team,
                surface: form.surface.trim().to_lowercase(),
                tags: parse_tags(&form.tags),
                follows: Some(form.follows.trim().to_owned()).filter(|f| !f.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_a_lowercase_slug() {
        assert!(ExperimentKey::parse("pricing_redesign_v2").is_ok());
        assert_eq!(ExperimentKey::parse("Pricing"), Err(KeyError::Start));
        assert_eq!(ExperimentKey::parse("ab"), Err(KeyError::Length(2)));
        assert_eq!(
            ExperimentKey::parse("has space"),
            Err(KeyError::Character(' '))
        );
        assert!(KeyError::Start.to_string().contains("lowercase"));
        assert!(KeyError::Character(' ').to_string().contains("' '"));
    }

    #[test]
    fn a_key_is_suggested_from_the_title() {
        assert_eq!(
            ExperimentKey::suggest("Pricing redesign v2!"),
            "pricing_redesign_v2"
        );
        assert_eq!(ExperimentKey::suggest("  Émoji 🎉 test "), "moji_test");
    }

    #[test]
    fn a_proposal_needs_title_hypothesis_owner_and_team_and_reports_each_missing_one() {
        let errors = NewExperiment::parse(&NewExperimentForm::default()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "owner", "team", "hypothesis", "key"]);
    }

    #[test]
    fn a_complete_proposal_parses_with_a_suggested_key_and_clean_tags() {
        let form = NewExperimentForm {
            title: "One-page checkout".into(),
            hypothesis: "fewer steps convert better".into(),
            owner: "Ana".into(),
            team: "Checkout".into(),
            surface: " Checkout ".into(),
            tags: "speed, Checkout,speed".into(),
            ..Default::default()
        };
        let new = NewExperiment::parse(&form).unwrap();
        assert_eq!(new.key.as_str(), "one_page_checkout");
        assert_eq!(new.surface, "checkout");
        assert_eq!(new.tags, ["checkout", "speed"]);
    }
}
