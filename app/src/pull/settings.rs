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
/// Usernames and secrets are short; the bound keeps a pasted file out of the database.
const MAX_TEXT_CHARS: usize = 512;

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

/// How the export API is authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(rename_all = "snake_case"))]
pub enum AuthMethod {
    /// A service account (`username:secret` plus `project_id`): Mixpanel's recommended way.
    #[default]
    ServiceAccount,
    /// The project's API secret (`secret:` with an empty password): older, still accepted.
    ProjectSecret,
}

crate::domain::slugs!(AuthMethod { ServiceAccount => "service_account", ProjectSecret => "project_secret" });

impl AuthMethod {
    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::ServiceAccount => "Service account",
            AuthMethod::ProjectSecret => "Project secret (legacy)",
        }
    }
}

/// The zone a workspace runs in when nobody set one.
pub const DEFAULT_TIMEZONE: &str = "UTC";

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
    pub auth: AuthMethod,
    /// Empty with a project secret.
    pub username: String,
    pub secret: Secret,
    pub residency: Residency,
    pub interval_hours: u32,
    /// The project's time zone (Project Settings > Overview > Timezone in Mixpanel).
    pub timezone: chrono_tz::Tz,
    /// Whether the project exports local time and reads dates in its zone (projects created
    /// before 2023); newer projects use UTC for both.
    pub local_time: bool,
}

impl MixpanelSettings {
    pub fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval_hours) * 3600)
    }

    pub fn view(&self) -> SettingsView {
        SettingsView {
            configured: true,
            project_id: self.project_id.to_string(),
            auth: self.auth,
            username: self.username.clone(),
            secret_set: true,
            residency: self.residency,
            interval_hours: self.interval_hours,
            timezone: self.timezone.name().to_owned(),
            local_time: self.local_time,
        }
    }

    pub fn clock(&self) -> crate::domain::export_window::ProjectClock {
        crate::domain::export_window::ProjectClock {
            zone: self.timezone,
            local_export: self.local_time,
        }
    }
}

/// What the settings page shows. `secret_set` instead of the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub configured: bool,
    pub project_id: String,
    pub auth: AuthMethod,
    pub username: String,
    pub secret_set: bool,
    pub residency: Residency,
    pub interval_hours: u32,
    pub timezone: String,
    pub local_time: bool,
}

impl Default for SettingsView {
    fn default() -> Self {
        Self {
            configured: false,
            project_id: String::new(),
            auth: AuthMethod::ServiceAccount,
            username: String::new(),
            secret_set: false,
            residency: Residency::Us,
            interval_hours: DEFAULT_INTERVAL_HOURS,
            timezone: DEFAULT_TIMEZONE.to_owned(),
            local_time: false,
        }
    }
}

/// The settings form as typed. An empty secret keeps the one already stored, so the page can
/// be saved without retyping it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub project_id: String,
    #[serde(default)]
    pub auth: AuthMethod,
    pub username: String,
    pub secret: String,
    pub residency: Residency,
    pub interval_hours: String,
    /// IANA name; empty means UTC.
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub local_time: bool,
}

impl SettingsForm {
    pub fn from_view(view: &SettingsView) -> Self {
        Self {
            project_id: view.project_id.clone(),
            auth: view.auth,
            username: view.username.clone(),
            secret: String::new(),
            residency: view.residency,
            interval_hours: view.interval_hours.to_string(),
            timezone: view.timezone.clone(),
            local_time: view.local_time,
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
        let username = match self.auth {
            AuthMethod::ServiceAccount => self.username.trim().to_owned(),
            AuthMethod::ProjectSecret => String::new(),
        };
        if username.is_empty() && self.auth == AuthMethod::ServiceAccount {
            errors.push(FieldError::new(
                "username",
                "the service account's username is required",
            ));
        }
        if username.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(
                "username",
                format!("the username is at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if self.secret.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(
                "secret",
                format!("the secret is at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        let timezone = match self.timezone.trim() {
            "" => chrono_tz::Tz::UTC,
            name => match name.parse::<chrono_tz::Tz>() {
                Ok(zone) if name.len() <= 64 => zone,
                _ => {
                    errors.push(FieldError::new(
                        "timezone",
                        "the time zone is an IANA name such as America/Los_Angeles or Europe/Berlin, as Mixpanel shows it under Project Settings > Overview > Timezone",
                    ));
                    chrono_tz::Tz::UTC
                }
            },
        };
        // The secret goes only where it was typed for: the same project, region and method.
        let same_place = |s: &MixpanelSettings| {
            s.project_id == project_id && s.residency == self.residency && s.auth == self.auth
        };
        let secret = match (self.secret.trim(), stored) {
            ("", Some(stored)) if same_place(stored) => Some(stored.secret.clone()),
            ("", Some(_)) => {
                errors.push(FieldError::new(
                    "secret",
                    "type the secret again: the project, the residency or the authentication changed, and the stored secret is only sent where it was typed for",
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
                auth: self.auth,
                username,
                secret,
                residency: self.residency,
                interval_hours,
                timezone,
                local_time: self.local_time,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
