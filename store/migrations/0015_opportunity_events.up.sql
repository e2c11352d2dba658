-- A user's switch for proposals from calendar events: with it on, an event
-- the person makes (web app, chat) proposes its preparation task. Off by
-- default, like the other sources read without being asked.
ALTER TABLE opportunity_settings ADD COLUMN calendar_events INTEGER NOT NULL DEFAULT 0;
