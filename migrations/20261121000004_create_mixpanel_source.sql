-- The workspace's Mixpanel project, read by every pull (the "Pull now" button and the schedule).
-- One row at most (id = 1): a workspace answers to one Mixpanel project.
-- The service-account secret is kept as given because the Raw Event Export API needs it verbatim
-- for basic auth; it never leaves the server (the settings page only learns whether it is set).
CREATE TABLE mixpanel_source (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    project_id      INTEGER NOT NULL CHECK (project_id > 0),
    username        TEXT NOT NULL CHECK (length(trim(username)) > 0),
    secret          TEXT NOT NULL CHECK (length(secret) > 0),
    -- Where the project's data lives: data.mixpanel.com, data-eu… or data-in….
    residency       TEXT NOT NULL DEFAULT 'us' CHECK (residency IN ('us', 'eu', 'india')),
    -- Replaces the residency's host (tests point it at 127.0.0.1); NULL in production.
    base_url        TEXT CHECK (base_url IS NULL OR base_url LIKE 'http://%' OR base_url LIKE 'https://%'),
    -- Running experiments are pulled this often; the export API allows few queries an hour.
    interval_hours  INTEGER NOT NULL DEFAULT 6 CHECK (interval_hours BETWEEN 1 AND 168),
    updated_at      TEXT NOT NULL
);
