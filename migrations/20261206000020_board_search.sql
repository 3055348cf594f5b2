-- The board's and the list view's text search: a trigram full-text index over what the search
-- box has always matched (key, title and the brief), so "checkout" finds every experiment that
-- mentions it anywhere, as the substring search did, without reading every row of a program of
-- 10,000 experiments. Trigrams keep substring semantics (a match inside a word counts) and fold
-- case. External content: the text stays only in `experiment`; the index holds trigrams.
-- Searches shorter than three characters cannot use trigrams; the queries fall back to LIKE.
CREATE VIRTUAL TABLE board_search USING fts5(
    key, title, brief,
    content = 'experiment', content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO board_search (board_search) VALUES ('rebuild');

CREATE TRIGGER board_search_insert AFTER INSERT ON experiment BEGIN
    INSERT INTO board_search (rowid, key, title, brief) VALUES (new.id, new.key, new.title, new.brief);
END;

-- Only when the searched text changes: moves, sign-offs and archiving leave the index alone.
CREATE TRIGGER board_search_update AFTER UPDATE OF key, title, brief ON experiment BEGIN
    INSERT INTO board_search (board_search, rowid, key, title, brief)
        VALUES ('delete', old.id, old.key, old.title, old.brief);
    INSERT INTO board_search (rowid, key, title, brief) VALUES (new.id, new.key, new.title, new.brief);
END;

CREATE TRIGGER board_search_delete AFTER DELETE ON experiment BEGIN
    INSERT INTO board_search (board_search, rowid, key, title, brief)
        VALUES ('delete', old.id, old.key, old.title, old.brief);
END;
