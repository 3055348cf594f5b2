-- Results readings. A snapshot is immutable: a new pull or a new hand-typed entry adds a row, so
-- the results view can chart the lift over time and a failed pull never damages what was there.
-- `counts` is the domain's `Counts` JSON (arms with users, and per metric one value per arm).
CREATE TABLE snapshot (
    id             INTEGER PRIMARY KEY,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    taken_at       TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('manual', 'mixpanel', 'file', 'csv')),
    counts         TEXT NOT NULL CHECK (json_valid(counts)),
    lines          INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
    skipped_lines  INTEGER NOT NULL DEFAULT 0 CHECK (skipped_lines >= 0)
);

CREATE INDEX snapshot_experiment ON snapshot (experiment_id, taken_at);
