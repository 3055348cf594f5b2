use chrono::Utc;
use sqlx::SqlitePool;

use super::*;
use crate::db::test_seed::as_tester;
use crate::domain::account::{Credential, NewAccount, Role};
use crate::error::AppError;

fn account(email: &str) -> NewAccount {
    NewAccount {
        email: email.into(),
        name: "Ana Lima".into(),
        password: "correct horse battery".into(),
    }
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_user_signs_in_with_the_right_password_only(pool: SqlitePool) {
    let ana = as_tester(create_user(
        &pool,
        &account(" Ana@Example.com "),
        Role::Editor,
        Utc::now(),
    ))
    .await
    .unwrap();
    assert_eq!(ana.email, "Ana@Example.com", "stored trimmed");
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM user")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains("correct horse"));

    let who = verify_login(&pool, "ana@example.com", "correct horse battery")
        .await
        .unwrap()
        .expect("emails match case-insensitively");
    assert_eq!((who.user_id, who.role), (Some(ana.id), Role::Editor));
    assert_eq!(who.credential, Credential::Session);
    assert_eq!(
        verify_login(&pool, "ana@example.com", "correct horse battery!")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        verify_login(&pool, "bob@example.com", "correct horse battery")
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_duplicate_email_or_a_short_password_is_refused_by_field(pool: SqlitePool) {
    as_tester(create_user(
        &pool,
        &account("ana@example.com"),
        Role::Viewer,
        Utc::now(),
    ))
    .await
    .unwrap();
    let again = as_tester(create_user(
        &pool,
        &account("ANA@example.com"),
        Role::Viewer,
        Utc::now(),
    ))
    .await;
    assert!(matches!(again, Err(AppError::Conflict(m)) if m.contains("already an account")));
    let short = NewAccount {
        password: "short".into(),
        ..account("bob@example.com")
    };
    match as_tester(create_user(&pool, &short, Role::Viewer, Utc::now())).await {
        Err(AppError::Invalid(errors)) => assert_eq!(errors[0].field, "password"),
        other => panic!("{other:?}"),
    }
    assert_eq!(count_users(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_first_run_setup_makes_one_admin_and_then_closes(pool: SqlitePool) {
    let admin = create_first_admin(&pool, &account("ana@example.com"), Utc::now())
        .await
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    let second = create_first_admin(&pool, &account("eve@example.com"), Utc::now()).await;
    assert!(matches!(second, Err(AppError::Conflict(m)) if m.contains("already set up")));
    assert_eq!(count_users(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_disabled_user_cannot_sign_in_and_the_last_admin_stays(pool: SqlitePool) {
    let ana = create_first_admin(&pool, &account("ana@example.com"), Utc::now())
        .await
        .unwrap();
    let bob = as_tester(create_user(
        &pool,
        &account("bob@example.com"),
        Role::Editor,
        Utc::now(),
    ))
    .await
    .unwrap();
    let last = as_tester(update_user(&pool, ana.id, Role::Editor, false, Utc::now())).await;
    assert!(
        matches!(last, Err(AppError::Invalid(e)) if e[0].message.contains("last active admin"))
    );
    assert_eq!(
        identity_for_user(&pool, ana.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin,
        "the refused change was rolled back"
    );

    let bob = as_tester(update_user(&pool, bob.id, Role::Editor, true, Utc::now()))
        .await
        .unwrap();
    assert!(bob.disabled);
    assert_eq!(identity_for_user(&pool, bob.id).await.unwrap(), None);
    assert_eq!(
        verify_login(&pool, "bob@example.com", "correct horse battery")
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_token_works_until_revoked_and_only_its_hash_is_stored(pool: SqlitePool) {
    let (token, secret) = as_tester(create_token(
        &pool,
        "nightly export",
        Role::Viewer,
        TokenOwner::CommandLine,
        Some(90),
        Utc::now(),
    ))
    .await
    .unwrap();
    assert!(secret.starts_with(TOKEN_PREFIX) && secret.len() == TOKEN_PREFIX.len() + 64);
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM api_token")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, secret);
    let who = identity_for_token(&pool, &secret).await.unwrap().unwrap();
    assert!(token
        .expires_at
        .is_some_and(|at| at > Utc::now() + chrono::Duration::days(89)));
    assert_eq!((who.role, who.token_id), (Role::Viewer, Some(token.id)));
    assert_eq!(who.name, "token nightly export");
    assert_eq!(
        identity_for_token(&pool, "vdt_0000").await.unwrap(),
        Err(TokenRefusal::Unknown)
    );

    let revoked = as_tester(revoke_token(&pool, token.id, Utc::now()))
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        identity_for_token(&pool, &secret).await.unwrap(),
        Err(TokenRefusal::Revoked)
    );
    assert!(matches!(
        as_tester(create_token(
            &pool,
            " ",
            Role::Viewer,
            TokenOwner::CommandLine,
            None,
            Utc::now()
        ))
        .await,
        Err(AppError::Invalid(_))
    ));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_token_never_outranks_its_owner_and_dies_when_they_are_demoted_or_disabled(
    pool: SqlitePool,
) {
    create_first_admin(&pool, &account("root@example.com"), Utc::now())
        .await
        .unwrap();
    let ed = as_tester(create_user(
        &pool,
        &account("ed@example.com"),
        Role::Editor,
        Utc::now(),
    ))
    .await
    .unwrap();
    let ed_identity = identity_for_user(&pool, ed.id).await.unwrap().unwrap();
    let owner = TokenOwner::Account(&ed_identity);
    let too_high = as_tester(create_token(
        &pool,
        "admin please",
        Role::Admin,
        owner.clone(),
        Some(30),
        Utc::now(),
    ))
    .await;
    assert!(matches!(too_high, Err(AppError::Invalid(e)) if e[0].field == "role"));
    let (token, secret) = as_tester(create_token(
        &pool,
        "ed's script",
        Role::Editor,
        owner,
        Some(30),
        Utc::now(),
    ))
    .await
    .unwrap();
    assert_eq!(token.owner.as_deref(), Some("ed@example.com"));
    assert!(identity_for_token(&pool, &secret).await.unwrap().is_ok());

    as_tester(update_user(&pool, ed.id, Role::Viewer, false, Utc::now()))
        .await
        .unwrap();
    assert_eq!(
        identity_for_token(&pool, &secret).await.unwrap(),
        Err(TokenRefusal::OwnerDemoted)
    );
    as_tester(update_user(&pool, ed.id, Role::Editor, true, Utc::now()))
        .await
        .unwrap();
    assert_eq!(
        identity_for_token(&pool, &secret).await.unwrap(),
        Err(TokenRefusal::OwnerDisabled)
    );
    as_tester(update_user(&pool, ed.id, Role::Editor, false, Utc::now()))
        .await
        .unwrap();
    assert!(identity_for_token(&pool, &secret).await.unwrap().is_ok());
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_token_stops_at_its_expiry(pool: SqlitePool) {
    let long_ago = Utc::now() - chrono::Duration::days(31);
    let (_, secret) = as_tester(create_token(
        &pool,
        "old",
        Role::Viewer,
        TokenOwner::CommandLine,
        Some(30),
        long_ago,
    ))
    .await
    .unwrap();
    assert_eq!(
        identity_for_token(&pool, &secret).await.unwrap(),
        Err(TokenRefusal::Expired)
    );
    for days in [0, MAX_TOKEN_DAYS + 1] {
        let refused = as_tester(create_token(
            &pool,
            "bad expiry",
            Role::Viewer,
            TokenOwner::CommandLine,
            Some(days),
            Utc::now(),
        ))
        .await;
        assert!(matches!(refused, Err(AppError::Invalid(e)) if e[0].field == "expires_days"));
    }
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_password_change_or_reset_or_role_change_ends_other_sessions(pool: SqlitePool) {
    use crate::db::sessions::{change_password, epoch, reset_password, session_user};
    let ana = create_first_admin(&pool, &account("ana@example.com"), Utc::now())
        .await
        .unwrap();
    let bob = as_tester(create_user(
        &pool,
        &account("bob@example.com"),
        Role::Editor,
        Utc::now(),
    ))
    .await
    .unwrap();
    let start = epoch(&pool, bob.id).await.unwrap();
    assert!(session_user(&pool, bob.id, start).await.unwrap().is_some());

    let wrong = as_tester(change_password(
        &pool,
        bob.id,
        "not it at all",
        "a fresh long passphrase",
    ))
    .await;
    assert!(matches!(wrong, Err(AppError::Invalid(e)) if e[0].field == "current"));
    let weak = as_tester(change_password(
        &pool,
        bob.id,
        "correct horse battery",
        "password1234",
    ))
    .await;
    assert!(matches!(weak, Err(AppError::Invalid(e)) if e[0].field == "new"));
    assert_eq!(
        epoch(&pool, bob.id).await.unwrap(),
        start,
        "refused changes change nothing"
    );

    let next = as_tester(change_password(
        &pool,
        bob.id,
        "correct horse battery",
        "violet kettle under moonlight",
    ))
    .await
    .unwrap();
    assert!(next > start);
    assert!(
        session_user(&pool, bob.id, start).await.unwrap().is_none(),
        "old session ended"
    );
    assert!(session_user(&pool, bob.id, next).await.unwrap().is_some());
    assert!(
        verify_login(&pool, "bob@example.com", "violet kettle under moonlight")
            .await
            .unwrap()
            .is_some()
    );

    let generated = as_tester(reset_password(&pool, bob.id)).await.unwrap();
    let after_reset = epoch(&pool, bob.id).await.unwrap();
    assert!(session_user(&pool, bob.id, next).await.unwrap().is_none());
    let user = session_user(&pool, bob.id, after_reset)
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.must_change_password,
        "the reset forces a change at the next sign-in"
    );
    assert!(verify_login(&pool, "bob@example.com", &generated)
        .await
        .unwrap()
        .is_some());

    as_tester(update_user(&pool, bob.id, Role::Viewer, false, Utc::now()))
        .await
        .unwrap();
    assert!(session_user(&pool, bob.id, after_reset)
        .await
        .unwrap()
        .is_none());
    let _ = ana;
}
