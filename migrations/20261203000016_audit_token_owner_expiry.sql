-- The token triggers were written before tokens had an owner (`user_id`) and an expiry
-- (`expires_at`, both added in 20261202000015): a token made never to expire, or handed to
-- another account, left no trace in the audit log. Recreated with both columns; everything
-- else as in 20261122000013 (the secret's hash is never copied).
DROP TRIGGER audit_api_token_insert;
DROP TRIGGER audit_api_token_update;
DROP TRIGGER audit_api_token_delete;

CREATE TRIGGER audit_api_token_insert AFTER INSERT ON api_token BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'api_token', new.name,
        NULL,
        json_object('id', new.id, 'name', new.name, 'role', new.role,
            'created_by', new.created_by, 'created_at', new.created_at,
            'owner_user_id', new.user_id, 'expires_at', new.expires_at,
            'revoked_at', new.revoked_at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_api_token_update AFTER UPDATE OF name, role, revoked_at, user_id, expires_at ON api_token BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'api_token', new.name, d.b, d.a
    FROM audit_context c, (SELECT
        json_object('id', old.id, 'name', old.name, 'role', old.role,
            'created_by', old.created_by, 'created_at', old.created_at,
            'owner_user_id', old.user_id, 'expires_at', old.expires_at,
            'revoked_at', old.revoked_at) AS b,
        json_object('id', new.id, 'name', new.name, 'role', new.role,
            'created_by', new.created_by, 'created_at', new.created_at,
            'owner_user_id', new.user_id, 'expires_at', new.expires_at,
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
            'owner_user_id', old.user_id, 'expires_at', old.expires_at,
            'revoked_at', old.revoked_at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;
