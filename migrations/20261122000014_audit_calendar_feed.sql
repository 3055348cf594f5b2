-- The calendar feed URLs join the audit log: who created a team's subscribe link, and when it
-- was rotated (deleted). The secret itself is never copied into the log.
CREATE TRIGGER audit_calendar_feed_insert AFTER INSERT ON calendar_feed BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'calendar_feed', new.team, NULL,
        json_object('team', new.team, 'secret', '(hidden)', 'created_at', new.created_at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_calendar_feed_delete AFTER DELETE ON calendar_feed BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'calendar_feed', old.team,
        json_object('team', old.team, 'secret', '(hidden)', 'created_at', old.created_at), NULL
    FROM audit_context c WHERE c.id = 1;
END;
