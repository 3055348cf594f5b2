-- The board filtered by team (the filter people use most) counts its columns from this index
-- alone: with the team first, SQLite finds the team's experiments and reads their archived
-- flag and status without touching the table (the old index on team alone made it read every
-- row of the team, and after a write, when SQLite's page cache is empty, from the file).
DROP INDEX IF EXISTS experiment_team;
CREATE INDEX experiment_team ON experiment (team, archived, status);
