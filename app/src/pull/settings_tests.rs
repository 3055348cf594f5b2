use super::*;

fn form() -> SettingsForm {
    SettingsForm {
        project_id: " 12345 ".into(),
        username: "verdict.sa".into(),
        secret: "s3cr3t".into(),
        residency: Residency::Eu,
        interval_hours: String::new(),
        ..SettingsForm::default()
    }
}

#[test]
fn a_complete_form_parses_with_the_default_schedule_and_the_residency_host() {
    let s = form().parse(None).unwrap();
    assert_eq!((s.project_id, s.interval_hours), (12345, 6));
    assert_eq!(s.residency.host(), "https://data-eu.mixpanel.com");
    assert_eq!(s.interval(), Duration::from_secs(6 * 3600));
}

#[test]
fn an_empty_secret_keeps_the_stored_one_and_is_required_without_one() {
    let blank = SettingsForm {
        secret: String::new(),
        ..form()
    };
    let stored = SettingsForm {
        secret: "old".into(),
        ..form()
    }
    .parse(None)
    .unwrap();
    let kept = blank.parse(Some(&stored)).unwrap();
    assert_eq!(kept.secret.expose(), "old");
    let errors = blank.parse(None).unwrap_err();
    assert_eq!(errors[0].field, "secret");
}

#[test]
fn a_new_project_or_residency_needs_the_secret_typed_again() {
    let stored = form().parse(None).unwrap();
    for changed in [
        SettingsForm {
            secret: String::new(),
            residency: Residency::Us,
            ..form()
        },
        SettingsForm {
            secret: String::new(),
            project_id: "999".into(),
            ..form()
        },
    ] {
        let errors = changed.parse(Some(&stored)).unwrap_err();
        assert_eq!(errors[0].field, "secret");
        assert!(errors[0].message.contains("type the secret again"));
        let retyped = SettingsForm {
            secret: "new one".into(),
            ..changed
        };
        assert!(retyped.parse(Some(&stored)).is_ok());
    }
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let bad = SettingsForm {
        project_id: "abc".into(),
        username: " ".into(),
        interval_hours: "0".into(),
        ..form()
    };
    let fields: Vec<String> = bad
        .parse(None)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["project_id", "username", "interval_hours"]);
}

#[test]
fn the_secret_never_shows() {
    let s = form().parse(None).unwrap();
    assert!(!format!("{s:?}").contains("s3cr3t"));
    assert!(s.view().secret_set);
    for r in Residency::ALL {
        assert_eq!(Residency::from_slug(r.slug()), Some(r));
    }
}

#[test]
fn the_time_zone_is_an_iana_name_and_defaults_to_utc() {
    let s = form().parse(None).unwrap();
    assert_eq!((s.timezone, s.local_time), (chrono_tz::Tz::UTC, false));
    let la = SettingsForm {
        timezone: " America/Los_Angeles ".into(),
        local_time: true,
        ..form()
    }
    .parse(None)
    .unwrap();
    assert_eq!(la.timezone, chrono_tz::America::Los_Angeles);
    assert!(la.clock().local_export);
    let errors = SettingsForm {
        timezone: "Pacific Standard Time".into(),
        ..form()
    }
    .parse(None)
    .unwrap_err();
    assert_eq!(errors[0].field, "timezone");
    assert!(errors[0].message.contains("America/Los_Angeles"));
}

#[test]
fn a_project_secret_needs_no_username_and_keeps_the_secret_only_for_the_same_method() {
    let legacy = SettingsForm {
        auth: AuthMethod::ProjectSecret,
        username: "ignored".into(),
        ..form()
    }
    .parse(None)
    .unwrap();
    assert_eq!(legacy.username, "");
    let switched = SettingsForm {
        secret: String::new(),
        ..form()
    }
    .parse(Some(&legacy))
    .unwrap_err();
    assert_eq!(switched[0].field, "secret");
}
