-- App passwords: per-device secrets for protocols that only speak Basic
-- auth (CalDAV). The account password is never accepted there. A secret is
-- 120 random bits, so it is stored as a keyed hash (HMAC-SHA256 under a key
-- derived from the appliance's encryption key), not argon2: nothing is
-- gained by slowing down guesses of a random value that size, and a DAV
-- client sends it with every request. Revoking keeps the row (the user
-- sees when it was revoked); the account's deletion takes the rows.
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE, -- hex HMAC-SHA256 of the secret
    scope        TEXT    NOT NULL DEFAULT 'dav' CHECK (scope IN ('dav')),
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    last_used_ip TEXT    NOT NULL DEFAULT '',
    revoked_at   TEXT
);

CREATE INDEX app_passwords_user ON app_passwords(user_id, revoked_at);

-- The names CalDAV clients gave the calendars they made with MKCALENDAR
-- (/dav/{user}/calendars/{name}/): the client keeps using that URL, so
-- the calendar answers there as well as at its id.
CREATE TABLE dav_calendar_names (
    calendar_id INTEGER PRIMARY KEY REFERENCES calendars(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    UNIQUE (user_id, name)
);
