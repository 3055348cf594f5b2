-- Full-text search for the learnings page (SQLite FTS5, built into the bundled SQLite).
-- `learning_doc` defines what a search document is, in one place: title, the hypothesis (its
-- parts and the first draft, from the brief JSON), the conclusion's summary and the tags. The
-- triggers copy that view into the index on every write to `experiment`, so no write path (the
-- server functions, the demo loader, imports, a manual UPDATE) can leave the index stale.
-- To index more columns later, redefine the view and refill the index in a new migration; the
-- triggers need no change.
CREATE VIEW learning_doc AS
SELECT
    id,
    title,
    trim(
        coalesce(json_extract(brief, '$.hypothesis.change'), '') || ' ' ||
        coalesce(json_extract(brief, '$.hypothesis.from'), '') || ' ' ||
        coalesce(json_extract(brief, '$.hypothesis.to'), '') || ' ' ||
        coalesce(json_extract(brief, '$.hypothesis.because'), '') || ' ' ||
        coalesce(json_extract(brief, '$.hypothesis.draft'), '')
    ) AS hypothesis,
    coalesce(summary, '') AS summary,
    coalesce((SELECT group_concat(value, ' ') FROM json_each(experiment.tags)), '') AS tags
FROM experiment;

-- rowid = experiment.id. Porter stemming so "checkouts" finds "checkout"; unicode61 folds case
-- and diacritics.
CREATE VIRTUAL TABLE learning_search USING fts5(
    title, hypothesis, summary, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO learning_search (rowid, title, hypothesis, summary, tags)
SELECT id, title, hypothesis, summary, tags FROM learning_doc;

CREATE TRIGGER learning_search_insert AFTER INSERT ON experiment BEGIN
    INSERT INTO learning_search (rowid, title, hypothesis, summary, tags)
    SELECT id, title, hypothesis, summary, tags FROM learning_doc WHERE id = new.id;
END;

CREATE TRIGGER learning_search_update AFTER UPDATE ON experiment BEGIN
    DELETE FROM learning_search WHERE rowid = old.id;
    INSERT INTO learning_search (rowid, title, hypothesis, summary, tags)
    SELECT id, title, hypothesis, summary, tags FROM learning_doc WHERE id = new.id;
END;

CREATE TRIGGER learning_search_delete AFTER DELETE ON experiment BEGIN
    DELETE FROM learning_search WHERE rowid = old.id;
END;
