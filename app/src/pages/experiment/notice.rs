//! What a form posted without the script comes back to the experiment page with: the server's
//! plain-form handlers (`server/src/page_forms.rs`) put it in the page's query string, one
//! line per reason, and the page lists it where the buttons are. One definition of the names
//! for both sides.

use leptos_router::params::ParamsMap;

use crate::domain::slugs;
use crate::domain::url::encode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A move the gate refused.
    MoveRefused,
    /// A move that landed with warnings.
    MoveWarned,
    /// A next idea that could not become a proposal.
    FollowUpRefused,
    /// A sign-off (or withdrawal) refused.
    SignOffRefused,
}

slugs!(Notice {
    MoveRefused => "move_error",
    MoveWarned => "move_warning",
    FollowUpRefused => "follow_up_error",
    SignOffRefused => "sign_off_error",
});

impl Notice {
    /// `name=lines` for the page's address, encoded.
    pub fn query(self, lines: &[String]) -> String {
        format!("{}={}", self.slug(), encode(&lines.join("\n")))
    }

    /// The lines `query` holds for this notice, if any.
    pub fn lines(self, query: &ParamsMap) -> Option<Vec<String>> {
        query.get(self.slug()).map(|text| {
            text.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}
