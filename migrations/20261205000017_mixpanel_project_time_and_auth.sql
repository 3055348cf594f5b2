-- The Mixpanel project's clock and the legacy project-secret authentication.
-- * `timezone`: the project's IANA zone (Project Settings > Overview > Timezone). Projects
--   created before 2023 read from_date/to_date in it and export `time` as local wall-clock time;
--   `local_time` says the project is one of those. Newer projects use UTC for both.
-- * `auth`: a service account (username + secret + project_id) or the project's API secret
--   (secret only), which Mixpanel still accepts; a project secret has no username.
-- SQLite cannot change a CHECK in place, so the table is rebuilt (one row at most) and its
-- audit triggers are recreated with the new columns, the secret still never copied.
CREATE TABLE mixpanel_source_new (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    project_id      INTEGER NOT NULL CHECK (project_id > 0),
    auth            TEXT NOT NULL DEFAULT 'service_account'
                    CHECK (auth IN ('service_account', 'project_secret')),
    username        TEXT NOT NULL
                    CHECK ((auth = 'service_account' AND length(trim(username)) > 0)
                        OR (auth = 'project_secret' AND username = '')),
    secret          TEXT NOT NULL CHECK (length(secret) > 0),
    residency       TEXT NOT NULL DEFAULT 'us' CHECK (residency IN ('us', 'eu', 'india')),
    base_url        TEXT CHECK (base_url IS NULL OR base_url LIKE 'http://%' OR base_url LIKE 'https://%'),
    interval_hours  INTEGER NOT NULL DEFAULT 6 CHECK (interval_hours BETWEEN 1 AND 168),
    timezone        TEXT NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    local_time      INTEGER NOT NULL DEFAULT 0 CHECK (local_time IN (0, 1)),
    updated_at      TEXT NOT NULL
);

INSERT INTO mixpanel_source_new (id, project_id, username, secret, residency, base_url,
    interval_hours, updated_at)
SELECT id, project_id, username, secret, residency, base_url, interval_hours, updated_at
FROM mixpanel_source;

DROP TRIGGER audit_mixpanel_source_insert;
DROP TRIGGER audit_mixpanel_source_update;
DROP TRIGGER audit_mixpanel_source_delete;
DROP TABLE mixpanel_source;
ALTER TABLE mixpanel_source_new RENAME TO mixpanel_source;

CREATE TRIGGER audit_mixpanel_source_insert AFTER INSERT ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel',
        NULL,
        json_object('project_id', new.project_id, 'auth', new.auth, 'username', new.username,
            'secret', '(hidden)', 'residency', new.residency, 'base_url', new.base_url,
            'interval_hours', new.interval_hours, 'timezone', new.timezone,
            'local_time', new.local_time)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_mixpanel_source_update AFTER UPDATE ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel', d.b, d.a
    FROM audit_context c, (SELECT
        json_object('project_id', old.project_id, 'auth', old.auth, 'username', old.username,
            'secret', '(hidden)', 'residency', old.residency, 'base_url', old.base_url,
            'interval_hours', old.interval_hours, 'timezone', old.timezone,
            'local_time', old.local_time) AS b,
        json_object('project_id', new.project_id, 'auth', new.auth, 'username', new.username,
            'secret', CASE WHEN new.secret IS old.secret THEN '(hidden)' ELSE '(hidden, changed)' END,
            'residency', new.residency, 'base_url', new.base_url,
            'interval_hours', new.interval_hours, 'timezone', new.timezone,
            'local_time', new.local_time) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_mixpanel_source_delete AFTER DELETE ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel',
        json_object('project_id', old.project_id, 'auth', old.auth, 'username', old.username,
            'secret', '(hidden)', 'residency', old.residency, 'base_url', old.base_url,
            'interval_hours', old.interval_hours, 'timezone', old.timezone,
            'local_time', old.local_time),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;
