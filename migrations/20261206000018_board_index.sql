-- The board pages each column newest change first: this index serves that order per column
-- (and the per-column counts), so a board of 10,000 experiments reads 25 cards a column and
-- stops instead of sorting the whole table. Team and owner get their own for the filter menus.
CREATE INDEX experiment_board ON experiment (archived, status, updated_at DESC, id DESC);
CREATE INDEX experiment_team ON experiment (team);
CREATE INDEX experiment_owner ON experiment (owner);
