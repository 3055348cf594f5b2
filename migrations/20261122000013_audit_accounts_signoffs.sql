-- The audit log (see 20261122000011_audit_log.sql) extended to the tables added alongside it:
-- accounts, API tokens, sign-offs, amendments and the workspace settings. Same rules: written in
-- the write's own transaction, refused without an actor, secrets never copied, and an UPDATE
-- that changes none of the logged columns is not logged.
--
-- Not logged: `tower_sessions` (signing in and out is not a change to the program's data, and
-- sessions churn on every request).

-- Accounts. The password hash is never copied. Only changes to these columns are logged (a
-- future 'last signed in' column would be noise).
CREATE TRIGGER audit_user_insert AFTER INSERT ON user BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'user', new.email,
        NULL,
        json_object('email', new.email, 'name', new.name, 'role', new.role,
            'password', '(hidden)', 'created_at', new.created_at,
            'disabled_at', new.disabled_at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_user_update AFTER UPDATE OF email, name, role, password_hash, disabled_at ON user BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'user', new.email, d.b, d.a
    FROM audit_context c, (SELECT
        json_object('email', old.email, 'name', old.name, 'role', old.role,
            'password', '(hidden)', 'created_at', old.created_at,
            'disabled_at', old.disabled_at) AS b,
        json_object('email', new.email, 'name', new.name, 'role', new.role,
            'password', CASE WHEN new.password_hash IS old.password_hash THEN '(hidden)' ELSE '(hidden, changed)' END,
            'created_at', new.created_at, 'disabled_at', new.disabled_at) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_user_delete AFTER DELETE ON user BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'user', old.email,
        json_object('email', old.email, 'name', old.name, 'role', old.role,
            'password', '(hidden)', 'created_at', old.created_at,
            'disabled_at', old.disabled_at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- API tokens. The secret's hash is never copied, and using a token (last_used_at) is not a
-- change anyone needs to audit.
CREATE TRIGGER audit_api_token_insert AFTER INSERT ON api_token BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'api_token', new.name,
        NULL,
        json_object('id', new.id, 'name', new.name, 'role', new.role,
            'created_by', new.created_by, 'created_at', new.created_at,
            'revoked_at', new.revoked_at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_api_token_update AFTER UPDATE OF name, role, revoked_at ON api_token BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'api_token', new.name, d.b, d.a
    FROM audit_context c, (SELECT
        json_object('id', old.id, 'name', old.name, 'role', old.role,
            'created_by', old.created_by, 'created_at', old.created_at,
            'revoked_at', old.revoked_at) AS b,
        json_object('id', new.id, 'name', new.name, 'role', new.role,
            'created_by', new.created_by, 'created_at', new.created_at,
            'revoked_at', new.revoked_at) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_api_token_delete AFTER DELETE ON api_token BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'api_token', old.name,
        json_object('id', old.id, 'name', old.name, 'role', old.role,
            'created_by', old.created_by, 'created_at', old.created_at,
            'revoked_at', old.revoked_at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Sign-offs, under the experiment's key. Saving a changed brief deletes them (in the same
-- transaction, logged under the save's action), which shows here as deleted rows.
CREATE TRIGGER audit_sign_off_insert AFTER INSERT ON sign_off BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'sign_off', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id),
        NULL,
        json_object('role', new.role, 'name', new.name, 'user_id', new.user_id, 'at', new.at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_sign_off_update AFTER UPDATE ON sign_off BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'sign_off', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id), d.b, d.a
    FROM audit_context c, (SELECT
        json_object('role', old.role, 'name', old.name, 'user_id', old.user_id, 'at', old.at) AS b,
        json_object('role', new.role, 'name', new.name, 'user_id', new.user_id, 'at', new.at) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_sign_off_delete AFTER DELETE ON sign_off BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'sign_off', coalesce((SELECT key FROM experiment WHERE id = old.experiment_id), '#' || old.experiment_id),
        json_object('role', old.role, 'name', old.name, 'user_id', old.user_id, 'at', old.at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Amendments, under the experiment's key. The briefs themselves are not copied: the same
-- transaction's experiment entry already shows every brief field that changed.
CREATE TRIGGER audit_amendment_insert AFTER INSERT ON amendment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'amendment', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id),
        NULL,
        json_object('at', new.at, 'by_name', new.by_name, 'reason', new.reason,
            'changed_fields', json(new.changed_fields))
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_amendment_update AFTER UPDATE ON amendment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'amendment', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id), d.b, d.a
    FROM audit_context c, (SELECT
        json_object('at', old.at, 'by_name', old.by_name, 'reason', old.reason,
            'changed_fields', json(old.changed_fields)) AS b,
        json_object('at', new.at, 'by_name', new.by_name, 'reason', new.reason,
            'changed_fields', json(new.changed_fields)) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_amendment_delete AFTER DELETE ON amendment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'amendment', coalesce((SELECT key FROM experiment WHERE id = old.experiment_id), '#' || old.experiment_id),
        json_object('at', old.at, 'by_name', old.by_name, 'reason', old.reason,
            'changed_fields', json(old.changed_fields)),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- The workspace settings row (created by its migration, so only updates).
CREATE TRIGGER audit_workspace_setting_update AFTER UPDATE OF require_sign_offs ON workspace_setting BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'workspace_setting', 'workspace', d.b, d.a
    FROM audit_context c, (SELECT
        json_object(
            'require_sign_offs', CASE old.require_sign_offs WHEN 1 THEN json('true') ELSE json('false') END) AS b,
        json_object(
            'require_sign_offs', CASE new.require_sign_offs WHEN 1 THEN json('true') ELSE json('false') END) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;
