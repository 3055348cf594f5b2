-- Sign-offs and brief amendments.
--
-- A launch needs product, engineering and design to agree with the brief (the workspace can turn
-- that off). One row per role and experiment: signing off twice for a role keeps the first
-- record. Any change to the brief deletes the experiment's sign-offs in the same transaction as
-- the brief write (`db::experiments::save_brief`), so a sign-off always refers to the brief as it
-- stands. Who signed is kept by name as well as by id: the name is what people read, and it must
-- survive the account being removed.
CREATE TABLE sign_off (
    id             INTEGER PRIMARY KEY,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('product', 'engineering', 'design')),
    -- NULL for API tokens and the server itself (the demo loader).
    user_id        INTEGER REFERENCES user (id) ON DELETE SET NULL,
    name           TEXT NOT NULL CHECK (length(trim(name)) > 0),
    at             TEXT NOT NULL,
    UNIQUE (experiment_id, role)
);

-- Once running, the brief changes only through an amendment: a written reason, the fields that
-- changed (computed by the domain from the two briefs), and both briefs whole, so the results
-- view can say "decision rule changed on <date> by <who>: <why>" and anyone can see exactly
-- what moved. Appended in the same transaction as the brief write; never updated or deleted.
CREATE TABLE amendment (
    id             INTEGER PRIMARY KEY,
    experiment_id  INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    by_name        TEXT NOT NULL CHECK (length(trim(by_name)) > 0),
    user_id        INTEGER REFERENCES user (id) ON DELETE SET NULL,
    reason         TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    -- The domain's `BriefField` names, e.g. ["decision_rule", "planned_end"].
    changed_fields TEXT NOT NULL CHECK (json_valid(changed_fields) AND json_type(changed_fields) = 'array'
                                        AND json_array_length(changed_fields) > 0),
    before_brief   TEXT NOT NULL CHECK (json_valid(before_brief)),
    after_brief    TEXT NOT NULL CHECK (json_valid(after_brief))
);

CREATE INDEX amendment_experiment ON amendment (experiment_id, at);

-- Workspace-wide settings an admin changes on the settings page. One row (id = 1), created here
-- with the defaults, so reads never have to invent them.
CREATE TABLE workspace_setting (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    -- Launch (ready -> running) needs product, engineering and design sign-offs.
    require_sign_offs  INTEGER NOT NULL DEFAULT 1 CHECK (require_sign_offs IN (0, 1)),
    updated_at         TEXT
);
INSERT INTO workspace_setting (id) VALUES (1);
