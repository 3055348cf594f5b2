-- The audit log: who changed what, when, from what to what. Written by triggers, so every write
-- path (server functions, the REST API, imports, pulls, the demo loader, a CLI command) is logged
-- in the same transaction as the write itself, and a rolled-back write leaves no entry.
--
-- Who is acting cannot be seen from inside a trigger, so the application says it first:
-- `db::audit::AuditedTx::begin` sets the single `audit_context` row at the start of each write
-- transaction (actor + action) and clears it just before commit. SQLite has one writer at a time
-- and the stamp is the transaction's first write, so no other connection ever sees or uses it.
-- A write with no actor stamped is refused: a write path that forgets is caught by the tests,
-- never silently unlogged.
CREATE TABLE audit_context (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    actor_name      TEXT,
    actor_user_id   INTEGER,
    actor_token_id  INTEGER,
    action          TEXT,
    at              TEXT,
    -- Either a whole stamp or none.
    CHECK ((action IS NULL) = (actor_name IS NULL) AND (action IS NULL) = (at IS NULL))
);
INSERT INTO audit_context (id) VALUES (1);

-- One row per changed row. `before` is NULL for an insert, `after` NULL for a delete; both are
-- JSON objects of the row's meaningful columns (the brief and counts nested as JSON, bookkeeping
-- such as `version` and `updated_at` left out, secrets never copied: shown as "(hidden)").
-- An UPDATE that changes none of those columns is not logged.
-- The actor is copied, not referenced: the log outlives deleted users and revoked tokens.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor_name      TEXT NOT NULL,
    actor_user_id   INTEGER,
    actor_token_id  INTEGER,
    action          TEXT NOT NULL,
    -- The table written; `entity_key` is what a person searches by (the experiment key for
    -- experiments, their snapshots and triage; the ISO week for reviews; the email for users).
    entity_type     TEXT NOT NULL,
    entity_key      TEXT NOT NULL,
    before          TEXT CHECK (before IS NULL OR json_valid(before)),
    after           TEXT CHECK (after IS NULL OR json_valid(after)),
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);

-- The admin page filters by these, newest first (the rowid orders within each index).
CREATE INDEX audit_log_actor ON audit_log (actor_name);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_entity ON audit_log (entity_key, entity_type);
CREATE INDEX audit_log_at ON audit_log (at);

-- The log is evidence: nobody edits or deletes it through SQL either.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit: the log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit: the log is append-only');
END;

-- Experiments: every column a person sets or a move changes. (The learnings index and the
-- program version also have triggers on this table; these only read `audit_context` and write
-- `audit_log`, so the order they fire in does not matter.)
CREATE TRIGGER audit_experiment_insert AFTER INSERT ON experiment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'experiment', new.key,
        NULL,
        json_object('key', new.key, 'title', new.title, 'owner', new.owner, 'team', new.team,
            'surface', new.surface, 'tags', json(new.tags), 'status', new.status,
            'archived', CASE new.archived WHEN 1 THEN json('true') ELSE json('false') END,
            'brief', json(new.brief), 'started_at', new.started_at,
            'ended_at', new.ended_at, 'verdict', new.verdict,
            'verdict_arm', new.verdict_arm, 'summary', new.summary,
            'stop_reason', new.stop_reason, 'computed_verdict', new.computed_verdict,
            'computed_arm', new.computed_arm, 'override_reason', new.override_reason,
            'lessons', new.lessons, 'segment_notes', new.segment_notes,
            'next_idea', new.next_idea, 'follows', new.follows,
            'created_at', new.created_at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_experiment_update AFTER UPDATE ON experiment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'experiment', new.key, d.b, d.a
    FROM audit_context c, (SELECT
        json_object('key', old.key, 'title', old.title, 'owner', old.owner, 'team', old.team,
            'surface', old.surface, 'tags', json(old.tags), 'status', old.status,
            'archived', CASE old.archived WHEN 1 THEN json('true') ELSE json('false') END,
            'brief', json(old.brief), 'started_at', old.started_at,
            'ended_at', old.ended_at, 'verdict', old.verdict,
            'verdict_arm', old.verdict_arm, 'summary', old.summary,
            'stop_reason', old.stop_reason, 'computed_verdict', old.computed_verdict,
            'computed_arm', old.computed_arm, 'override_reason', old.override_reason,
            'lessons', old.lessons, 'segment_notes', old.segment_notes,
            'next_idea', old.next_idea, 'follows', old.follows,
            'created_at', old.created_at) AS b,
        json_object('key', new.key, 'title', new.title, 'owner', new.owner, 'team', new.team,
            'surface', new.surface, 'tags', json(new.tags), 'status', new.status,
            'archived', CASE new.archived WHEN 1 THEN json('true') ELSE json('false') END,
            'brief', json(new.brief), 'started_at', new.started_at,
            'ended_at', new.ended_at, 'verdict', new.verdict,
            'verdict_arm', new.verdict_arm, 'summary', new.summary,
            'stop_reason', new.stop_reason, 'computed_verdict', new.computed_verdict,
            'computed_arm', new.computed_arm, 'override_reason', new.override_reason,
            'lessons', new.lessons, 'segment_notes', new.segment_notes,
            'next_idea', new.next_idea, 'follows', new.follows,
            'created_at', new.created_at) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_experiment_delete AFTER DELETE ON experiment BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'experiment', old.key,
        json_object('key', old.key, 'title', old.title, 'owner', old.owner, 'team', old.team,
            'surface', old.surface, 'tags', json(old.tags), 'status', old.status,
            'archived', CASE old.archived WHEN 1 THEN json('true') ELSE json('false') END,
            'brief', json(old.brief), 'started_at', old.started_at,
            'ended_at', old.ended_at, 'verdict', old.verdict,
            'verdict_arm', old.verdict_arm, 'summary', old.summary,
            'stop_reason', old.stop_reason, 'computed_verdict', old.computed_verdict,
            'computed_arm', old.computed_arm, 'override_reason', old.override_reason,
            'lessons', old.lessons, 'segment_notes', old.segment_notes,
            'next_idea', old.next_idea, 'follows', old.follows,
            'created_at', old.created_at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Results snapshots, logged under their experiment's key. Snapshots are immutable, but an update
-- would be logged like any other.
CREATE TRIGGER audit_snapshot_insert AFTER INSERT ON snapshot BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'snapshot', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id),
        NULL,
        json_object('id', new.id, 'taken_at', new.taken_at, 'source', new.source,
            'counts', json(new.counts), 'lines', new.lines,
            'skipped_lines', new.skipped_lines)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_snapshot_update AFTER UPDATE ON snapshot BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'snapshot', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id), d.b, d.a
    FROM audit_context c, (SELECT
        json_object('id', old.id, 'taken_at', old.taken_at, 'source', old.source,
            'counts', json(old.counts), 'lines', old.lines,
            'skipped_lines', old.skipped_lines) AS b,
        json_object('id', new.id, 'taken_at', new.taken_at, 'source', new.source,
            'counts', json(new.counts), 'lines', new.lines,
            'skipped_lines', new.skipped_lines) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_snapshot_delete AFTER DELETE ON snapshot BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'snapshot', coalesce((SELECT key FROM experiment WHERE id = old.experiment_id), '#' || old.experiment_id),
        json_object('id', old.id, 'taken_at', old.taken_at, 'source', old.source,
            'counts', json(old.counts), 'lines', old.lines,
            'skipped_lines', old.skipped_lines),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Weekly reviews. The agenda is left out: it is the program rendered at save time, not
-- something anyone typed, and would make every save look like a change.
CREATE TRIGGER audit_review_insert AFTER INSERT ON review BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'review', new.week,
        NULL,
        json_object('week', new.week, 'attendees', json(new.attendees), 'notes', new.notes)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_review_update AFTER UPDATE ON review BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'review', new.week, d.b, d.a
    FROM audit_context c, (SELECT
        json_object('week', old.week, 'attendees', json(old.attendees), 'notes', old.notes) AS b,
        json_object('week', new.week, 'attendees', json(new.attendees), 'notes', new.notes) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_review_delete AFTER DELETE ON review BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'review', old.week,
        json_object('week', old.week, 'attendees', json(old.attendees), 'notes', old.notes),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Triage outcomes, logged under the experiment's key with the review's week.
CREATE TRIGGER audit_triage_insert AFTER INSERT ON triage BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'triage', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id),
        NULL,
        json_object('week', (SELECT week FROM review WHERE id = new.review_id),
            'outcome', new.outcome, 'reason', new.reason, 'at', new.at)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_triage_update AFTER UPDATE ON triage BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'triage', coalesce((SELECT key FROM experiment WHERE id = new.experiment_id), '#' || new.experiment_id), d.b, d.a
    FROM audit_context c, (SELECT
        json_object('week', (SELECT week FROM review WHERE id = old.review_id),
            'outcome', old.outcome, 'reason', old.reason, 'at', old.at) AS b,
        json_object('week', (SELECT week FROM review WHERE id = new.review_id),
            'outcome', new.outcome, 'reason', new.reason, 'at', new.at) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_triage_delete AFTER DELETE ON triage BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'triage', coalesce((SELECT key FROM experiment WHERE id = old.experiment_id), '#' || old.experiment_id),
        json_object('week', (SELECT week FROM review WHERE id = old.review_id),
            'outcome', old.outcome, 'reason', old.reason, 'at', old.at),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- The Mixpanel settings. The service-account secret is never copied: the log says only
-- whether it changed.
CREATE TRIGGER audit_mixpanel_source_insert AFTER INSERT ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel',
        NULL,
        json_object('project_id', new.project_id, 'username', new.username,
            'secret', '(hidden)', 'residency', new.residency, 'base_url', new.base_url,
            'interval_hours', new.interval_hours)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_mixpanel_source_update AFTER UPDATE ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel', d.b, d.a
    FROM audit_context c, (SELECT
        json_object('project_id', old.project_id, 'username', old.username,
            'secret', '(hidden)', 'residency', old.residency, 'base_url', old.base_url,
            'interval_hours', old.interval_hours) AS b,
        json_object('project_id', new.project_id, 'username', new.username,
            'secret', CASE WHEN new.secret IS old.secret THEN '(hidden)' ELSE '(hidden, changed)' END,
            'residency', new.residency, 'base_url', new.base_url,
            'interval_hours', new.interval_hours) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_mixpanel_source_delete AFTER DELETE ON mixpanel_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'mixpanel_source', 'mixpanel',
        json_object('project_id', old.project_id, 'username', old.username,
            'secret', '(hidden)', 'residency', old.residency, 'base_url', old.base_url,
            'interval_hours', old.interval_hours),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;
