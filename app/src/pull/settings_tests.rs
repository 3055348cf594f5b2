use super::*;

fn form() -> SettingsForm {
    SettingsForm {
        project_id: " 12345 ".into(),
        username: "verdict.sa".into(),
        secret: "s3cr3t".into(),
        residency: Residency::Eu,
        base_url: String::new(),
        interval_hours: String::new(),
    }
}

#[test]
fn a_complete_form_parses_with_the_default_schedule_and_the_residency_host() {
    let s = form().parse(None).unwrap();
    assert_eq!((s.project_id, s.interval_hours), (12345, 6));
    assert_eq!(s.base(), "https://data-eu.mixpanel.com");
    assert_eq!(s.interval(), Duration::from_secs(6 * 3600));
}

#[test]
fn an_empty_secret_keeps_the_stored_one_and_is_required_without_one() {
    let blank = SettingsForm {
        secret: String::new(),
        ..form()
    };
    let kept = blank.parse(Some(Secret::new("old".into()))).unwrap();
    assert_eq!(kept.secret.expose(), "old");
    let errors = blank.parse(None).unwrap_err();
    assert_eq!(errors[0].field, "secret");
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let bad = SettingsForm {
        project_id: "abc".into(),
        username: " ".into(),
        base_url: "ftp://x".into(),
        interval_hours: "0".into(),
        ..form()
    };
    let fields: Vec<String> = bad
        .parse(None)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        ["project_id", "username", "base_url", "interval_hours"]
    );
}

#[test]
fn the_override_replaces_the_host_and_the_secret_never_shows() {
    let s = SettingsForm {
        base_url: "http://127.0.0.1:4000/".into(),
        ..form()
    }
    .parse(None)
    .unwrap();
    assert_eq!(s.base(), "http://127.0.0.1:4000");
    assert!(!format!("{s:?}").contains("s3cr3t"));
    assert!(s.view().secret_set);
    for r in Residency::ALL {
        assert_eq!(Residency::from_slug(r.slug()), Some(r));
    }
}
