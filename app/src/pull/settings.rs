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

crate::domain::slugs!(Residency { Us => "us", Eu => "eu", India => "india" });

impl Residency {
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
    pub interval_hours: u32,
}

impl MixpanelSettings {
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
    pub interval_hours: String,
}

impl SettingsForm {
    pub fn from_view(view: &SettingsView) -> Self {
        Self {
            project_id: view.project_id.clone(),
            username: view.username.clone(),
            secret: String::new(),
            residency: view.residency,
            interval_hours: view.interval_hours.to_string(),
        }
    }

    /// Checks every field, reporting all problems at once; `stored` is what was saved before.
    /// An empty secret keeps the stored one, but only for the same project and residency: the
    /// secret is never sent to a project or region it was not typed for.
    pub fn parse(
        &self,
        stored: Option<&MixpanelSettings>,
    ) -> Result<MixpanelSettings, Vec<FieldError>> {
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
        let same_place =
            |s: &MixpanelSettings| s.project_id == project_id && s.residency == self.residency;
        let secret = match (self.secret.trim(), stored) {
            ("", Some(stored)) if same_place(stored) => Some(stored.secret.clone()),
            ("", Some(_)) => {
                errors.push(FieldError::new(
                    "secret",
                    "type the secret again: the project or the residency changed, and the stored secret is only sent where it was typed for",
                ));
                None
            }
            ("", None) => {
                errors.push(FieldError::new(
                    "secret",
                    "the service account's secret is required",
                ));
                None
            }
            (typed, _) => Some(Secret::new(typed.to_owned())),
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
                interval_hours,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
