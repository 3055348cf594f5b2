-- What each kept page follows, narrower than `program_version` (which counts every write to
-- experiments and to snapshots). A reading recorded on one running experiment changes no
-- experiment row: the board, which reads only experiment rows, and every other experiment's
-- page stay as they were. `rows` counts writes to experiment rows alone; the index finds the
-- last change to one experiment (its row or its readings) in the change log.
ALTER TABLE program_version ADD COLUMN rows INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER program_rows_experiment_insert AFTER INSERT ON experiment
BEGIN UPDATE program_version SET rows = rows + 1 WHERE id = 1; END;
CREATE TRIGGER program_rows_experiment_update AFTER UPDATE ON experiment
BEGIN UPDATE program_version SET rows = rows + 1 WHERE id = 1; END;
CREATE TRIGGER program_rows_experiment_delete AFTER DELETE ON experiment
BEGIN UPDATE program_version SET rows = rows + 1 WHERE id = 1; END;

CREATE INDEX program_change_experiment ON program_change (experiment_id, version);
