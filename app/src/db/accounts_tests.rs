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
        "Ana",
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
    assert_eq!((who.role, who.token_id), (Role::Viewer, Some(token.id)));
    assert_eq!(who.name, "token nightly export");
    assert_eq!(identity_for_token(&pool, "vdt_0000").await.unwrap(), None);

    let revoked = as_tester(revoke_token(&pool, token.id, Utc::now()))
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(identity_for_token(&pool, &secret).await.unwrap(), None);
    assert!(matches!(
        as_tester(create_token(&pool, " ", Role::Viewer, "Ana", Utc::now())).await,
        Err(AppError::Invalid(_))
    ));
}
