-- The last change to each experiment, for its page in the page cache: a count per experiment
-- of the writes to its row and to its readings, never pruned. The change log
-- (`program_change`) keeps only the last 10,000 steps, so an experiment's last entry there
-- can vanish, and a count read from it would go back to nothing while the page kept from
-- before still showed an older reading. A count per experiment only ever goes up.
CREATE TABLE experiment_change (
    experiment_id INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL
);

CREATE TRIGGER experiment_change_experiment_insert AFTER INSERT ON experiment
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (NEW.id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER experiment_change_experiment_update AFTER UPDATE ON experiment
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (NEW.id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER experiment_change_experiment_delete AFTER DELETE ON experiment
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (OLD.id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER experiment_change_snapshot_insert AFTER INSERT ON snapshot
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (NEW.experiment_id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;
-- A reading moved to another experiment changes both.
CREATE TRIGGER experiment_change_snapshot_update AFTER UPDATE ON snapshot
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (OLD.experiment_id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
    INSERT INTO experiment_change (experiment_id, changes) VALUES (NEW.experiment_id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER experiment_change_snapshot_delete AFTER DELETE ON snapshot
BEGIN
    INSERT INTO experiment_change (experiment_id, changes) VALUES (OLD.experiment_id, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET changes = changes + 1;
END;

-- The page read its count from the change log through this index; nothing does now.
DROP INDEX program_change_experiment;
