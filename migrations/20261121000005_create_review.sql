-- The weekly review meeting. One review per ISO week ("2026-W47"): saving again updates it, so
-- the meeting page can be edited during the meeting. `agenda` keeps the agenda as Markdown as it
-- stood at the last save, so a past review shows what the meeting saw, not today's program.
CREATE TABLE review (
    id          INTEGER PRIMARY KEY,
    week        TEXT NOT NULL UNIQUE CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-5][0-9]'),
    attendees   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attendees) AND json_type(attendees) = 'array'),
    notes       TEXT NOT NULL DEFAULT '',
    agenda      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Triage outcomes applied to the backlog from a review. The outcome itself is applied to the
-- experiment in the same transaction (promote: status ready through the lifecycle gate; park:
-- a history note; reject: archived with the reason in its history); this row is the meeting's
-- record of it. A parked proposal stays off the triage queue while it has a 'park' row.
CREATE TABLE triage (
    id             INTEGER PRIMARY KEY,
    review_id      INTEGER NOT NULL REFERENCES review (id) ON DELETE CASCADE,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    outcome        TEXT NOT NULL CHECK (outcome IN ('promote', 'park', 'reject')),
    reason         TEXT NOT NULL DEFAULT '',
    at             TEXT NOT NULL,
    -- A rejection always says why: the proposer reads it in the experiment's history.
    CHECK (outcome != 'reject' OR length(trim(reason)) > 0)
);

CREATE INDEX triage_review ON triage (review_id);
CREATE INDEX triage_experiment ON triage (experiment_id, outcome);
