-- Calendar: a user's calendars (local, subscribed ICS feeds, later Google)
-- and their events. An event row is one VEVENT: the series (or single
-- event) with recurrence_id = '', and beside it the per-instance changes
-- of a series (RECURRENCE-ID overrides and cancellations), which share its
-- uid. All rows of one uid in one calendar are one calendar object (one
-- CalDAV resource, one ETag).

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    colour      TEXT    NOT NULL DEFAULT '',
    -- timezone: the IANA zone new events of this calendar default to.
    timezone    TEXT    NOT NULL DEFAULT 'UTC',
    source      TEXT    NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'feed', 'google')),
    -- A feed calendar's subscription. feed_etag and feed_last_modified are
    -- the validators of the last good copy (conditional GET);
    -- feed_interval is the feed's own REFRESH-INTERVAL in seconds (0: the
    -- configured default); feed_error is the last refresh's failure ('' when
    -- it worked), shown while the last good copy stays.
    feed_url           TEXT NOT NULL DEFAULT '',
    feed_etag          TEXT NOT NULL DEFAULT '',
    feed_last_modified TEXT NOT NULL DEFAULT '',
    feed_error         TEXT NOT NULL DEFAULT '',
    feed_refreshed_at  TEXT,
    feed_checked_at    TEXT,
    feed_next_at       TEXT,
    feed_interval      INTEGER NOT NULL DEFAULT 0,
    -- The private ICS feed of this calendar: sha256 (hex) of its secret
    -- token; NULL when there is none.
    token_hash       TEXT,
    token_created_at TEXT,
    -- seq counts the changes to the calendar's events: every write stamps
    -- the rows it touches with the new value (sync: "what changed since").
    seq         INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX calendars_user ON calendars(user_id, id);
CREATE UNIQUE INDEX calendars_token ON calendars(token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX calendars_feed_due ON calendars(feed_next_at) WHERE source = 'feed';

CREATE TABLE calendar_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    calendar_id   INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    uid           TEXT    NOT NULL,
    -- recurrence_id: '' for the series itself; for an override the
    -- original start of the instance it replaces (the UTC instant in RFC 3339,
    -- 2026-03-30T07:00:00Z, or
    -- YYYY-MM-DD for an all-day series).
    recurrence_id TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    location      TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    all_day       INTEGER NOT NULL DEFAULT 0 CHECK (all_day IN (0, 1)),
    -- start/end as written: wall time YYYY-MM-DDTHH:MM:SS in timezone
    -- (an IANA name; 'UTC'; '' floating), or YYYY-MM-DD for all-day
    -- events (end exclusive).
    start_local   TEXT    NOT NULL,
    end_local     TEXT    NOT NULL,
    timezone      TEXT    NOT NULL DEFAULT '',
    -- The same as instants (all-day and floating: read as UTC), and the
    -- end of the series' last instance (NULL: it never ends), so a range
    -- query finds a series without expanding it.
    start_at      TEXT    NOT NULL,
    end_at        TEXT    NOT NULL,
    last_end_at   TEXT,
    rrule         TEXT    NOT NULL DEFAULT '',
    -- rdates/exdates: JSON arrays of such instants, or of dates.
    rdates        TEXT    NOT NULL DEFAULT '[]',
    exdates       TEXT    NOT NULL DEFAULT '[]',
    category      TEXT    NOT NULL DEFAULT '',
    -- weight: how much the event counts in planning (SPEC's
    -- calendar_event_weights), 0 to 10.
    weight        INTEGER NOT NULL DEFAULT 1,
    -- reminders: JSON array of minutes before the start; attendees: JSON
    -- array of {email, name, role, status}.
    reminders     TEXT    NOT NULL DEFAULT '[]',
    attendees     TEXT    NOT NULL DEFAULT '[]',
    sequence      INTEGER NOT NULL DEFAULT 0,
    -- ics: this VEVENT as iCalendar text, kept in step with the columns,
    -- so properties aiwfe has no column for (X-, VALARM, ATTENDEE
    -- parameters) survive an import, a CalDAV round trip and an edit.
    ics           TEXT    NOT NULL DEFAULT '',
    -- etag: the calendar object's (all rows of the uid carry the same);
    -- seq: the calendar's seq at this object's last change.
    etag          TEXT    NOT NULL DEFAULT '',
    seq           INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    UNIQUE (calendar_id, uid, recurrence_id)
);
CREATE INDEX calendar_events_range ON calendar_events(calendar_id, start_at);
CREATE INDEX calendar_events_seq ON calendar_events(calendar_id, seq);

-- What was deleted, for "what changed since seq" (CalDAV sync-collection):
-- one row per deleted object, replaced when the uid comes back.
CREATE TABLE calendar_tombstones (
    calendar_id INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    uid         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    deleted_at  TEXT    NOT NULL,
    PRIMARY KEY (calendar_id, uid)
) WITHOUT ROWID;
CREATE INDEX calendar_tombstones_seq ON calendar_tombstones(calendar_id, seq);
