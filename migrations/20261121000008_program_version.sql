-- A change counter for everything the program dashboard reads (experiments and snapshots), so
-- the server can keep the dashboard's entries in memory and know, with one indexed read, when
-- they are stale. Triggers rather than application code bump it, so no write path can forget.
-- `instance` tells one database file from another (tests open many in one process).
CREATE TABLE program_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    instance TEXT NOT NULL,
    version INTEGER NOT NULL
);
INSERT INTO program_version (id, instance, version) VALUES (1, lower(hex(randomblob(16))), 0);

CREATE TRIGGER program_version_experiment_insert AFTER INSERT ON experiment
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_version_experiment_update AFTER UPDATE ON experiment
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_version_experiment_delete AFTER DELETE ON experiment
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_version_snapshot_insert AFTER INSERT ON snapshot
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_version_snapshot_update AFTER UPDATE ON snapshot
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_version_snapshot_delete AFTER DELETE ON snapshot
BEGIN UPDATE program_version SET version = version + 1 WHERE id = 1; END;
