-- The backlog. One row per experiment; the brief is a JSON document owned by the domain's
-- `Brief` type (validated in Rust before every write), because its shape (metrics, arms, rule)
-- is read and written whole and never queried piecemeal, except the planned end date, which is
-- exposed as a generated column for "overdue" and calendar queries.
CREATE TABLE experiment (
    id           INTEGER PRIMARY KEY,
    -- The analytics tool's experiment name: never changes, so exposure events keep matching.
    key          TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 3 AND 64),
    title        TEXT NOT NULL CHECK (length(trim(title)) > 0),
    owner        TEXT NOT NULL,
    team         TEXT NOT NULL,
    -- The product area it changes; two running tests on one surface get an overlap warning.
    surface      TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    status       TEXT NOT NULL DEFAULT 'proposed'
                 CHECK (status IN ('proposed', 'ready', 'running', 'done')),
    archived     INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    brief        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(brief)),
    planned_end  TEXT GENERATED ALWAYS AS (json_extract(brief, '$.planned_end')) VIRTUAL,
    -- Optimistic concurrency: every write bumps it; a write from an older version is refused.
    version      INTEGER NOT NULL DEFAULT 1,
    started_at   TEXT,
    ended_at     TEXT,
    verdict      TEXT CHECK (verdict IN ('ship', 'dont_ship', 'inconclusive', 'invalid')),
    verdict_arm  TEXT,
    summary      TEXT,
    -- Set when a test was closed before its planned end date: the reason given.
    stop_reason  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    -- A done experiment always has a verdict, and only a done one has one.
    CHECK ((status = 'done') = (verdict IS NOT NULL)),
    CHECK (verdict IS NOT 'ship' OR verdict_arm IS NOT NULL),
    -- Anything that ran has a start.
    CHECK (status IN ('proposed', 'ready') OR started_at IS NOT NULL)
);

CREATE INDEX experiment_status ON experiment (status, archived);
CREATE INDEX experiment_surface ON experiment (surface) WHERE status = 'running';

-- Status history: appended in the same transaction as every status change.
CREATE TABLE status_change (
    id             INTEGER PRIMARY KEY,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    from_status    TEXT CHECK (from_status IN ('proposed', 'ready', 'running', 'done')),
    to_status      TEXT NOT NULL CHECK (to_status IN ('proposed', 'ready', 'running', 'done')),
    at             TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);

CREATE INDEX status_change_experiment ON status_change (experiment_id, at);
