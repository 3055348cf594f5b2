-- The warehouse source (one row at most): where the team's events table is, and whether pulls
-- read it instead of Mixpanel's export API. The connection URL carries the password, so it is
-- never copied into the audit log ("(hidden)"; "(hidden, changed)" when a save replaced it).
-- Column names are checked plain identifiers before they are saved (app/src/warehouse/layout.rs).
CREATE TABLE warehouse_source (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    url             TEXT NOT NULL CHECK (url LIKE 'postgres://%' OR url LIKE 'postgresql://%'),
    table_name      TEXT NOT NULL CHECK (length(table_name) BETWEEN 1 AND 127),
    event_column    TEXT NOT NULL CHECK (length(event_column) BETWEEN 1 AND 63),
    time_column     TEXT NOT NULL CHECK (length(time_column) BETWEEN 1 AND 63),
    distinct_id_column TEXT NOT NULL CHECK (length(distinct_id_column) BETWEEN 1 AND 63),
    insert_id_column TEXT NOT NULL CHECK (length(insert_id_column) BETWEEN 1 AND 63),
    properties_column TEXT NOT NULL CHECK (length(properties_column) BETWEEN 1 AND 63),
    timeout_secs    INTEGER NOT NULL DEFAULT 600 CHECK (timeout_secs BETWEEN 10 AND 21600),
    use_for_pulls   INTEGER NOT NULL DEFAULT 1 CHECK (use_for_pulls IN (0, 1)),
    updated_at      TEXT NOT NULL
);

CREATE TRIGGER audit_warehouse_source_insert AFTER INSERT ON warehouse_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'warehouse_source', 'warehouse',
        NULL,
        json_object('url', '(hidden)', 'table', new.table_name, 'event', new.event_column,
            'time', new.time_column, 'distinct_id', new.distinct_id_column,
            'insert_id', new.insert_id_column, 'properties', new.properties_column,
            'timeout_secs', new.timeout_secs, 'use_for_pulls', new.use_for_pulls)
    FROM audit_context c WHERE c.id = 1;
END;

CREATE TRIGGER audit_warehouse_source_update AFTER UPDATE ON warehouse_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'warehouse_source', 'warehouse', d.b, d.a
    FROM audit_context c, (SELECT
        json_object('url', '(hidden)', 'table', old.table_name, 'event', old.event_column,
            'time', old.time_column, 'distinct_id', old.distinct_id_column,
            'insert_id', old.insert_id_column, 'properties', old.properties_column,
            'timeout_secs', old.timeout_secs, 'use_for_pulls', old.use_for_pulls) AS b,
        json_object('url', CASE WHEN new.url IS old.url THEN '(hidden)' ELSE '(hidden, changed)' END,
            'table', new.table_name, 'event', new.event_column,
            'time', new.time_column, 'distinct_id', new.distinct_id_column,
            'insert_id', new.insert_id_column, 'properties', new.properties_column,
            'timeout_secs', new.timeout_secs, 'use_for_pulls', new.use_for_pulls) AS a) d
    WHERE c.id = 1 AND d.b IS NOT d.a;
END;

CREATE TRIGGER audit_warehouse_source_delete AFTER DELETE ON warehouse_source BEGIN
    SELECT RAISE(ABORT, 'audit: no actor for this write')
    WHERE (SELECT action FROM audit_context WHERE id = 1) IS NULL;
    INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, before, after)
    SELECT c.at, c.actor_name, c.actor_user_id, c.actor_token_id, c.action,
        'warehouse_source', 'warehouse',
        json_object('url', '(hidden)', 'table', old.table_name, 'event', old.event_column,
            'time', old.time_column, 'distinct_id', old.distinct_id_column,
            'insert_id', old.insert_id_column, 'properties', old.properties_column,
            'timeout_secs', old.timeout_secs, 'use_for_pulls', old.use_for_pulls),
        NULL
    FROM audit_context c WHERE c.id = 1;
END;

-- Snapshots computed in the warehouse say so: `source` gains 'warehouse'. SQLite cannot change
-- a CHECK in place, so the table is rebuilt (nothing references it) with its index and
-- triggers as they were.
CREATE TABLE snapshot_new (
    id             INTEGER PRIMARY KEY,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    taken_at       TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('manual', 'mixpanel', 'file', 'csv', 'warehouse')),
    counts         TEXT NOT NULL CHECK (json_valid(counts)),
    lines          INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
    skipped_lines  INTEGER NOT NULL DEFAULT 0 CHECK (skipped_lines >= 0)
);
INSERT INTO snapshot_new (id, experiment_id, taken_at, source, counts, lines, skipped_lines)
SELECT id, experiment_id, taken_at, source, counts, lines, skipped_lines FROM snapshot;
DROP TABLE snapshot;
ALTER TABLE snapshot_new RENAME TO snapshot;
CREATE INDEX snapshot_experiment ON snapshot (experiment_id, taken_at);

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
CREATE TRIGGER program_version_snapshot_insert AFTER INSERT ON snapshot
BEGIN
    UPDATE program_version SET version = version + 1 WHERE id = 1;
    INSERT INTO program_change (version, experiment_id)
        SELECT version, NEW.experiment_id FROM program_version WHERE id = 1;
    DELETE FROM program_change
        WHERE version <= (SELECT version FROM program_version WHERE id = 1) - 10000;
END;
CREATE TRIGGER program_version_snapshot_update AFTER UPDATE ON snapshot
BEGIN
    UPDATE program_version SET version = version + 1 WHERE id = 1;
    INSERT INTO program_change (version, experiment_id)
        SELECT version, NEW.experiment_id FROM program_version WHERE id = 1;
    DELETE FROM program_change
        WHERE version <= (SELECT version FROM program_version WHERE id = 1) - 10000;
END;
CREATE TRIGGER program_version_snapshot_delete AFTER DELETE ON snapshot
BEGIN
    UPDATE program_version SET version = version + 1 WHERE id = 1;
    INSERT INTO program_change (version, experiment_id)
        SELECT version, OLD.experiment_id FROM program_version WHERE id = 1;
    DELETE FROM program_change
        WHERE version <= (SELECT version FROM program_version WHERE id = 1) - 10000;
END;
