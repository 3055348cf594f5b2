-- Accounts that can be looked after, and tokens that die with their owner.
--
-- `session_epoch` is copied into a session at sign-in; a session whose epoch differs from its
-- user's is signed out. A password change, a reset, a disable or a role change bumps it, which
-- ends every other session of that person at once without searching the session store.
ALTER TABLE user ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
-- Set by an admin's reset: the person must choose a new password at the next sign-in.
ALTER TABLE user ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- The account that created a token (NULL: made on the command line by someone with shell access
-- to the server, which is more than any role). A token works only while its owner is active and
-- still holds at least the token's role.
ALTER TABLE api_token ADD COLUMN user_id INTEGER REFERENCES user(id);
ALTER TABLE api_token ADD COLUMN expires_at TEXT;

-- When each token was last used: bookkeeping, not a change anyone made, so it lives apart from
-- `api_token` and outside the audit log (written at most once a minute per token).
CREATE TABLE api_token_use (
    token_id INTEGER PRIMARY KEY REFERENCES api_token(id) ON DELETE CASCADE,
    last_used_at TEXT NOT NULL
);
