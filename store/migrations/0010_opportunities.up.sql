-- Opportunities: tasks a model (or the rules standing in for it) proposes
-- from a user's conversations, documents and calendar events, waiting for
-- the user to accept (which makes a task) or dismiss them. A decided row
-- stays: it is what remembers a dismissed proposal, so the same one is
-- not proposed again.

CREATE TABLE opportunities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title           TEXT    NOT NULL,
    -- title_key: the title normalised (lower case, no punctuation or
    -- filler words) — equal keys are the same proposal.
    title_key       TEXT    NOT NULL,
    notes           TEXT    NOT NULL DEFAULT '',
    -- due: '' or what tasks take ('YYYY-MM-DD', or RFC 3339 in the
    -- user's zone).
    due             TEXT    NOT NULL DEFAULT '',
    priority        TEXT    NOT NULL DEFAULT 'none'
                    CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    -- category: a category's name ('' none); accepting files the task
    -- under it (made when the user has none of that name).
    category        TEXT    NOT NULL DEFAULT '',
    source_kind     TEXT    NOT NULL CHECK (source_kind IN ('conversation', 'document', 'event')),
    -- The source: conversation + message, document + page, or event. A
    -- deleted source leaves the proposal (and its memory) without a link.
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    document_id     INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    page            INTEGER,
    -- event_id: no reference yet; the calendar's table comes later.
    event_id        INTEGER,
    -- source_title: the conversation's title, document's name or event's
    -- title when proposed, for the inbox.
    source_title    TEXT    NOT NULL DEFAULT '',
    -- evidence: the sentence that justified the proposal, as written.
    evidence        TEXT    NOT NULL DEFAULT '',
    -- proposed_by: 'model' or 'rules'; model: the model's name.
    proposed_by     TEXT    NOT NULL CHECK (proposed_by IN ('model', 'rules')),
    model           TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'accepted', 'dismissed')),
    -- task_id: the task accepting made.
    task_id         INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    -- The title's embedding (little-endian float32, L2-normalised) and the
    -- embedder that made it: near-duplicates are found by cosine.
    vec             BLOB,
    vec_model       TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    decided_at      TEXT
);
CREATE INDEX opportunities_user_status ON opportunities(user_id, status, id DESC);
CREATE INDEX opportunities_user_key ON opportunities(user_id, title_key);
CREATE INDEX opportunities_conversation ON opportunities(conversation_id);
CREATE INDEX opportunities_message ON opportunities(message_id);
CREATE INDEX opportunities_document ON opportunities(document_id);
CREATE INDEX opportunities_task ON opportunities(task_id);

-- The document collections a user lets the model read for opportunities
-- when a document in them is ingested ('' is the unnamed collection).
CREATE TABLE opportunity_collections (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    collection TEXT    NOT NULL,
    PRIMARY KEY (user_id, collection)
) WITHOUT ROWID;

-- A user's switches for opportunities: conversations_when_quiet reads a
-- conversation for tasks once it has had no reply for a while.
CREATE TABLE opportunity_settings (
    user_id                  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    conversations_when_quiet INTEGER NOT NULL DEFAULT 0
);
