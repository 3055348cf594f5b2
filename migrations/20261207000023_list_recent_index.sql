-- The list view (`/experiments`) reads every matching id, most recently updated first. The
-- board's index puts status before `updated_at`, so across statuses SQLite sorted the ids in a
-- temporary B-tree (3-4 ms at 10,000 experiments, on every render after a write). With this
-- one the ids come out of the index already in order.
CREATE INDEX experiment_recent ON experiment (archived, updated_at DESC, id DESC);
