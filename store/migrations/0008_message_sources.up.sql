-- The passages a reply from documents was given (chat's "use documents" and
-- the Documents mode): a JSON array of sources, [] when nothing matched,
-- NULL when the reply did not use documents. indexing is how many of the
-- user's documents were still being indexed when it was asked.
ALTER TABLE messages ADD COLUMN sources TEXT;
ALTER TABLE messages ADD COLUMN indexing INTEGER NOT NULL DEFAULT 0;
