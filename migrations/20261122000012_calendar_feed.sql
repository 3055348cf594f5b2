-- Secret calendar feed URLs (`/calendar/<secret>.ics`), one per team ('' = every team):
-- calendar apps cannot sign in, so the unguessable URL is the credential. The secret is kept
-- readable because the dashboard shows the same subscribe link to everyone who may read the
-- program; rotating it (deleting the row) cuts off every subscriber at once.
CREATE TABLE calendar_feed (
    id INTEGER PRIMARY KEY,
    team TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL UNIQUE CHECK (length(secret) >= 32),
    created_at TEXT NOT NULL
);
