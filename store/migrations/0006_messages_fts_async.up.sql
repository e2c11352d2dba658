-- Full-text indexing leaves the request path: a message's content is
-- indexed in the background (store.IndexPendingMessages) instead of by a
-- trigger inside the write that saves it. messages.fts_indexed says
-- whether messages_fts holds the row's current content; the search
-- functions index whatever is pending before they read, so a search is
-- never behind. Crash-safe: a row written but not yet indexed keeps
-- fts_indexed = 0 and is indexed on the next run.

ALTER TABLE messages ADD COLUMN fts_indexed INTEGER NOT NULL DEFAULT 0 CHECK (fts_indexed IN (0, 1));

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;

-- Every existing row was indexed by the triggers just dropped.
UPDATE messages SET fts_indexed = 1;

CREATE INDEX messages_fts_pending ON messages(id) WHERE fts_indexed = 0;

-- An external-content FTS5 'delete' must be given exactly the indexed
-- text; a row never indexed has no entry to remove.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.fts_indexed = 1 BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;

-- New content: the old entry goes now, the new text is indexed later.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages WHEN old.fts_indexed = 1 BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    UPDATE messages SET fts_indexed = 0 WHERE id = new.id;
END;
