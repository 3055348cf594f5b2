//! The workspace's Mixpanel settings: the form as typed, parsed once into `MixpanelSettings`, and
//! the view sent back to the browser, which never carries the secret.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::experiment::FieldError;

/// The default pull schedule: often enough to watch a test, rare enough for the export API's
/// hourly query limit.
pub const DEFAULT_INTERVAL_HOURS: u32 = 6;
const MAX_INTERVAL_HOURS: u32 = 168;

/// Where the Mixpanel project's data lives; each residency has its own export host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(rename_all = "snake_case"))]
pub enum Residency {
    #[default]
    Us,
    Eu,
    India,
}

impl Residency {
    pub const ALL: [Residency; 3] = [Residency::Us, Residency::Eu, Residency::India];

    pub fn host(self) -> &'static str {
        match self {
            Residency::Us => "https://data.mixpanel.com",
            Residency::Eu => "https://data-eu.mixpanel.com",
            Residency::India => "https://data-in.mixpanel.com",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Residency::Us => "United States",
            Residency::Eu => "European Union",
            Residency::India => "India",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Residency::Us => "us",
            Residency::Eu => "eu",
            Residency::India => "india",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.slug() == slug)
    }
}

/// The service account's secret. Not `Serialize`, so it cannot reach the browser by accident,
/// and `Debug` masks it, so it cannot reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Settings that passed every check: what a pull runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct MixpanelSettings {
    pub project_id: i64,
    pub username: String,
    pub secret: Secret,
    pub residency: Residency,
    /// Replaces the residency's host when set (tests point it at 127.0.0.1).
    pub base_url: Option<String>,
    pub interval_hours: u32,
}

impl MixpanelSettings {
    /// The export API's origin, without a trailing slash.
    pub fn base(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or(self.residency.host())
            .trim_end_matches('/')
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval_hours) * 3600)
    }

    pub fn view(&self) -> SettingsView {
        SettingsView {
            configured: true,
            project_id: self.project_id.to_string(),
            username: self.username.clone(),
            secret_set: true,
            residency: self.residency,
            base_url: self.base_url.clone().unwrap_or_default(),
            interval_hours: self.interval_hours,
        }
    }
}

/// What the settings page shows. `secret_set` instead of the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub configured: bool,
    pub project_id: String,
    pub username: String,
    pub secret_set: bool,
    pub residency: Residency,
    pub base_url: String,
    pub interval_hours: u32,
}

impl Default for SettingsView {
    fn default() -> Self {
        Self {
            configured: false,
            project_id: String::new(),
            username: String::new(),
            secret_set: false,
            residency: Residency::Us,
            base_url: String::new(),
            interval_hours: DEFAULT_INTERVAL_HOURS,
        }
    }
}

/// The settings form as typed. An empty secret keeps the one already stored, so the page can
/// be saved without retyping it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub project_id: String,
    pub username: String,
    pub secret: String,
    pub residency: Residency,
    pub base_url: String,
    pub interval_hours: String,
}

impl SettingsForm {
    pub fn from_view(view: &SettingsView) -> Self {
        Self {
            project_id: view.project_id.clone(),
            username: view.username.clone(),
            secret: String::new(),
            residency: view.residency,
            base_url: view.base_url.clone(),
            interval_hours: view.interval_hours.to_string(),
        }
    }

    /// Checks every field, reporting all problems at once; `stored` is the secret saved before.
    pub fn parse(&self, stored: Option<Secret>) -> Result<MixpanelSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let project_id = match self.project_id.trim().parse::<i64>() {
            Ok(id) if id > 0 => id,
            _ => {
                errors.push(FieldError::new(
                    "project_id",
                    "the project id is the number in the Mixpanel project's URL and settings",
                ));
                0
            }
        };
        let username = self.username.trim().to_owned();
        if username.is_empty() {
            errors.push(FieldError::new(
                "username",
                "the service account's username is required",
            ));
        }
        let secret = match (self.secret.trim(), stored) {
            ("", Some(stored)) => Some(stored),
            ("", None) => {
                errors.push(FieldError::new(
                    "secret",
                    "the service account's secret is required",
                ));
                None
            }
            (typed, _) => Some(Secret::new(typed.to_owned())),
        };
        let base_url = match self.base_url.trim() {
            "" => None,
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            _ => {
                errors.push(FieldError::new(
                    "base_url",
                    "the base URL must start with http:// or https:// (or stay empty)",
                ));
                None
            }
        };
        let interval_hours = match self.interval_hours.trim() {
            "" => DEFAULT_INTERVAL_HOURS,
            raw => match raw.parse::<u32>() {
                Ok(h) if (1..=MAX_INTERVAL_HOURS).contains(&h) => h,
                _ => {
                    errors.push(FieldError::new(
                        "interval_hours",
                        format!("the schedule must be 1 to {MAX_INTERVAL_HOURS} hours"),
                    ));
                    DEFAULT_INTERVAL_HOURS
                }
            },
        };
        match secret {
            Some(secret) if errors.is_empty() => Ok(MixpanelSettings {
                project_id,
                username,
                secret,
                residency: self.residency,
                base_url,
                interval_hours,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
