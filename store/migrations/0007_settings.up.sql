-- Application settings an admin changes from the UI (the model server
-- first) record who changed them, for the settings page and the audit.
ALTER TABLE settings ADD COLUMN updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
