-- Documents: a user's uploaded files, their extracted pages, the chunks
-- search works on (with a keyword index), the chunks' vectors per
-- embedding model, and the persistent ingestion queue.

CREATE TABLE documents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    collection   TEXT    NOT NULL DEFAULT '',
    name         TEXT    NOT NULL,
    title        TEXT    NOT NULL DEFAULT '',
    format       TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    -- sha256 of the bytes: the same bytes uploaded twice by one user are
    -- one document.
    sha256       TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'processing', 'ready', 'failed', 'needs_ocr')),
    error        TEXT    NOT NULL DEFAULT '',
    pages        INTEGER NOT NULL DEFAULT 0,
    chunks       INTEGER NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL DEFAULT 0,
    -- file_path is relative to the data directory.
    file_path    TEXT    NOT NULL,
    -- replaces_id: an older document of the same name this one replaces
    -- once its own chunks are in (in the same transaction).
    replaces_id  INTEGER,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    indexed_at   TEXT,
    UNIQUE (user_id, sha256)
);
CREATE INDEX documents_user ON documents(user_id, id DESC);
CREATE INDEX documents_user_name ON documents(user_id, collection, name);

-- The extracted text of each page, for the citation viewer; chunk offsets
-- count code points into it.
CREATE TABLE document_pages (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page        INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    PRIMARY KEY (document_id, page)
) WITHOUT ROWID;

CREATE TABLE document_chunks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    page        INTEGER NOT NULL,
    start_char  INTEGER NOT NULL,
    end_char    INTEGER NOT NULL,
    -- heading is the heading path as a JSON array, outermost first.
    heading     TEXT    NOT NULL DEFAULT '[]',
    text        TEXT    NOT NULL
);
CREATE INDEX document_chunks_document ON document_chunks(document_id, ordinal);

-- Keyword index over the chunks; rowid = document_chunks.id. "head" is
-- "title › heading path" (weighted above the body by the search), "body"
-- the chunk's text. Contentless: the text lives in document_chunks once.
CREATE VIRTUAL TABLE document_chunks_fts USING fts5(
    head, body,
    content = '',
    contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER document_chunks_fts_delete AFTER DELETE ON document_chunks BEGIN
    DELETE FROM document_chunks_fts WHERE rowid = old.id;
END;

-- One row per embedding model (name + dimension) vectors were made with.
CREATE TABLE embedding_models (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL,
    dim  INTEGER NOT NULL CHECK (dim > 0),
    UNIQUE (name, dim)
);

-- Vectors: little-endian float32, L2-normalised (dot product = cosine).
CREATE TABLE chunk_vectors (
    model_id INTEGER NOT NULL REFERENCES embedding_models(id),
    chunk_id INTEGER NOT NULL REFERENCES document_chunks(id) ON DELETE CASCADE,
    vec      BLOB    NOT NULL,
    PRIMARY KEY (model_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX chunk_vectors_chunk ON chunk_vectors(chunk_id);

-- Which model each document's vectors are complete for (NULL: none yet).
ALTER TABLE documents ADD COLUMN vec_model_id INTEGER REFERENCES embedding_models(id);

-- The ingestion queue: at most one job per document. kind 'ingest'
-- extracts, chunks and embeds; 'embed' only makes the vectors of another
-- model for the chunks there are. A job stays until it ends, so a restart
-- resumes whatever was queued or running.
CREATE TABLE document_jobs (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('ingest', 'embed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_after   TEXT    NOT NULL,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
);
CREATE INDEX document_jobs_due ON document_jobs(run_after);
