//! Sign-offs before launch: product, engineering and design each record that they agree with the
//! brief ("PM + Eng + Design before launch"). The launch gate in `lifecycle::plan_transition`
//! asks this module what is missing; any edit of the brief after a sign-off clears them all, so a
//! sign-off always means "I agreed to this exact brief".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The three functions whose agreement a launch needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOffRole {
    Product,
    Engineering,
    Design,
}

crate::domain::slugs!(SignOffRole { Product => "product", Engineering => "engineering", Design => "design" });

impl SignOffRole {
    pub fn label(self) -> &'static str {
        match self {
            SignOffRole::Product => "Product",
            SignOffRole::Engineering => "Engineering",
            SignOffRole::Design => "Design",
        }
    }
}

impl std::fmt::Display for SignOffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

/// One recorded sign-off: which function, who clicked, when. `user_id` is None for API tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub role: SignOffRole,
    pub name: String,
    pub user_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// What stands between a brief and launch on the sign-off side: one per missing role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("no {0} sign-off yet")]
pub struct MissingSignOff(pub SignOffRole);

/// The launch gate's view of sign-offs: the workspace's policy and what is recorded.
/// `Default` requires sign-offs (the workspace default), so a caller that forgets to load them
/// is refused rather than let through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOffGate {
    pub required: bool,
    pub recorded: Vec<SignOff>,
}

impl Default for SignOffGate {
    fn default() -> Self {
        Self {
            required: true,
            recorded: Vec::new(),
        }
    }
}

impl SignOffGate {
    /// Roles without a sign-off, in the order product, engineering, design.
    pub fn missing_roles(&self) -> Vec<SignOffRole> {
        SignOffRole::ALL
            .into_iter()
            .filter(|role| !self.recorded.iter().any(|s| s.role == *role))
            .collect()
    }

    /// Every missing sign-off when the workspace requires them; nothing otherwise.
    pub fn check(&self) -> Vec<MissingSignOff> {
        if !self.required {
            return Vec::new();
        }
        self.missing_roles()
            .into_iter()
            .map(MissingSignOff)
            .collect()
    }
}

/// The workspace-wide settings an admin changes on the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    /// Launch needs product, engineering and design sign-offs (default on).
    pub require_sign_offs: bool,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        Self {
            require_sign_offs: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::now;

    fn signed(role: SignOffRole) -> SignOff {
        SignOff {
            role,
            name: "Ana".into(),
            user_id: Some(1),
            at: now(),
        }
    }

    #[test]
    fn every_role_round_trips_through_its_slug() {
        for role in SignOffRole::ALL {
            assert_eq!(SignOffRole::from_slug(role.slug()), Some(role));
        }
        assert_eq!(SignOffRole::from_slug("legal"), None);
    }

    #[test]
    fn a_missing_sign_off_names_its_role() {
        assert_eq!(
            MissingSignOff(SignOffRole::Design).to_string(),
            "no design sign-off yet"
        );
    }

    #[test]
    fn the_gate_lists_only_the_roles_not_yet_signed() {
        let gate = SignOffGate {
            required: true,
            recorded: vec![signed(SignOffRole::Engineering)],
        };
        assert_eq!(
            gate.check(),
            vec![
                MissingSignOff(SignOffRole::Product),
                MissingSignOff(SignOffRole::Design)
            ]
        );
    }

    #[test]
    fn a_workspace_without_the_requirement_has_no_sign_off_gate() {
        let gate = SignOffGate {
            required: false,
            recorded: vec![],
        };
        assert!(gate.check().is_empty());
        assert_eq!(gate.missing_roles().len(), 3);
    }

    #[test]
    fn by_default_sign_offs_are_required() {
        assert!(SignOffGate::default().required);
        assert!(WorkspaceSettings::default().require_sign_offs);
    }
}
