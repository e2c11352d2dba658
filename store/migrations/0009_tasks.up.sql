-- Tasks: a user's tasks (one level of subtasks), their tags, the
-- categories they are filed under, and a keyword index over title and
-- notes kept in sync by triggers (tasks are written one at a time, by a
-- person, so the index stays on the write path).

CREATE TABLE task_categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    -- colour is '' or '#rrggbb'.
    colour     TEXT    NOT NULL DEFAULT '',
    -- weight: how much the category counts when planning (0–10).
    weight     REAL    NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
-- One name per user, whatever its case.
CREATE UNIQUE INDEX task_categories_user_name ON task_categories(user_id, name COLLATE NOCASE);

CREATE TABLE tasks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title             TEXT    NOT NULL,
    notes             TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'todo'
                      CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
    -- priority: 0 none, 1 low, 2 medium, 3 high, 4 urgent (a number so it
    -- sorts).
    priority          INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
    -- A due date alone: due_date is 'YYYY-MM-DD' (the user's calendar
    -- day, never shifted) and due_at the start of that day in the user's
    -- time zone. A due date-time: due_date is '' and due_at the instant.
    -- due_at orders and filters both kinds.
    due_date          TEXT    NOT NULL DEFAULT '',
    due_at            TEXT,
    estimated_minutes INTEGER,
    category_id       INTEGER REFERENCES task_categories(id) ON DELETE SET NULL,
    -- One level of subtasks (the service refuses deeper nesting).
    parent_id         INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    position          REAL    NOT NULL DEFAULT 0,
    -- recurrence is an RRULE (the subset docs/tasks.md lists) or ''; its
    -- occurrences are counted from recurrence_anchor (the due it was set
    -- with: 'YYYY-MM-DD' or an instant), so a month clamped to its last
    -- day does not move the series.
    recurrence        TEXT    NOT NULL DEFAULT '',
    recurrence_anchor TEXT    NOT NULL DEFAULT '',
    -- next_task_id: the occurrence made when this one was completed (so
    -- completing it again makes no second one).
    next_task_id      INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    completed_at      TEXT,
    source            TEXT    NOT NULL DEFAULT 'manual'
                      CHECK (source IN ('manual', 'opportunity', 'assessment', 'chat')),
    -- source_ref: a JSON object linking back to where the task came from,
    -- e.g. {"conversation_id":1,"message_id":2} or {"document_id":3,"page":4}.
    source_ref        TEXT    NOT NULL DEFAULT '{}',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);
-- The list's filters (status, parent, category, due) and counts read
-- these without the table: the filter columns trail every index.
CREATE INDEX tasks_user ON tasks(user_id);
CREATE INDEX tasks_filter ON tasks(user_id, status, parent_id, category_id, due_at, due_date);
CREATE INDEX tasks_user_due ON tasks(user_id, due_at, status, parent_id, category_id, due_date);
-- One index per sort order of the list (store.TaskFilter.orderBy), so a
-- page of a large list is read in order instead of sorting every match.
CREATE INDEX tasks_order_due ON tasks(user_id, due_at IS NULL, due_at, priority DESC, position, status, parent_id, category_id, due_date);
CREATE INDEX tasks_order_priority ON tasks(user_id, priority DESC, due_at IS NULL, due_at, position, status, parent_id, category_id, due_date);
CREATE INDEX tasks_order_position ON tasks(user_id, position, status, parent_id, category_id, due_at, due_date);
CREATE INDEX tasks_order_updated ON tasks(user_id, updated_at, status, parent_id, category_id, due_at, due_date);
CREATE INDEX tasks_parent ON tasks(parent_id);
CREATE INDEX tasks_category ON tasks(category_id);
CREATE INDEX tasks_next ON tasks(next_task_id);

-- Tags, lower case, one row per tag of a task.
CREATE TABLE task_tags (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (task_id, tag)
) WITHOUT ROWID;
CREATE INDEX task_tags_tag ON task_tags(tag, task_id);

-- External-content FTS5 index over title and notes; rowid = tasks.id.
-- The last word of a search is a prefix (search as one types): prefixes
-- of 1–4 characters have their own index, so "w" does not merge the lists
-- of every word starting with w (50 ms at 10,000 tasks, 10 ms with it).
CREATE VIRTUAL TABLE tasks_fts USING fts5(
    title, notes,
    content = 'tasks',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '1 2 3 4'
);

CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts(rowid, title, notes) VALUES (new.id, new.title, new.notes);
END;

CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts(tasks_fts, rowid, title, notes) VALUES ('delete', old.id, old.title, old.notes);
END;

CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, notes ON tasks BEGIN
    INSERT INTO tasks_fts(tasks_fts, rowid, title, notes) VALUES ('delete', old.id, old.title, old.notes);
    INSERT INTO tasks_fts(rowid, title, notes) VALUES (new.id, new.title, new.notes);
END;
