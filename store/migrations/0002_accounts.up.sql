-- Accounts and sessions: users with their preferences, model assignments
-- and profile; devices; refresh-token families; revoked access tokens; the
-- security audit; notifications. Every child row goes with its user.

CREATE TABLE users (
    id                     INTEGER PRIMARY KEY,
    email                  TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash          TEXT    NOT NULL,
    is_active              INTEGER NOT NULL DEFAULT 0,
    is_superuser           INTEGER NOT NULL DEFAULT 0,
    is_verified            INTEGER NOT NULL DEFAULT 0,
    role                   TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'superuser')),
    status                 TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'suspended')),
    tfa_enabled            INTEGER NOT NULL DEFAULT 0,
    -- Access tokens issued before this unix time are void (password reset,
    -- "sign out everywhere").
    tokens_valid_after     INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    last_login_at          TEXT,

    theme                  TEXT    NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
    notifications_enabled  INTEGER NOT NULL DEFAULT 1,
    timezone               TEXT    NOT NULL DEFAULT 'UTC',
    use_profile_in_chat    INTEGER NOT NULL DEFAULT 1,

    selected_model         TEXT    NOT NULL DEFAULT '',
    chat_model             TEXT    NOT NULL DEFAULT '',
    coding_model           TEXT    NOT NULL DEFAULT '',
    embedding_model        TEXT    NOT NULL DEFAULT '',
    summary_model          TEXT    NOT NULL DEFAULT '',
    research_model         TEXT    NOT NULL DEFAULT '',
    documents_model        TEXT    NOT NULL DEFAULT '',
    interview_model        TEXT    NOT NULL DEFAULT '',
    assessment_model       TEXT    NOT NULL DEFAULT '',
    planning_model         TEXT    NOT NULL DEFAULT '',
    task_model             TEXT    NOT NULL DEFAULT '',
    calendar_model         TEXT    NOT NULL DEFAULT '',
    semantic_model         TEXT    NOT NULL DEFAULT '',
    vision_model           TEXT    NOT NULL DEFAULT '',
    reasoning_model        TEXT    NOT NULL DEFAULT '',
    title_model            TEXT    NOT NULL DEFAULT '',
    reflection_model       TEXT    NOT NULL DEFAULT '',
    translation_model      TEXT    NOT NULL DEFAULT '',
    extraction_model       TEXT    NOT NULL DEFAULT '',
    tool_model             TEXT    NOT NULL DEFAULT '',

    mission_statement      TEXT    NOT NULL DEFAULT '',
    personal_goals         TEXT    NOT NULL DEFAULT '',
    work_style_preferences TEXT    NOT NULL DEFAULT '',
    productivity_patterns  TEXT    NOT NULL DEFAULT '',
    interview_insights     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(interview_insights)),
    web_search_provider    TEXT    NOT NULL DEFAULT 'none' CHECK (web_search_provider IN ('none', 'brave', 'searxng', 'duckduckgo')),
    web_search_api_key_enc TEXT    NOT NULL DEFAULT '',
    calendar_event_weights TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(calendar_event_weights))
);
CREATE INDEX users_status_role ON users(status, role);

CREATE TABLE registered_devices (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- SHA-256 (hex) of the user agent and client hints.
    fingerprint   TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL DEFAULT '',
    first_seen    TEXT    NOT NULL,
    last_seen     TEXT    NOT NULL,
    last_ip       TEXT    NOT NULL DEFAULT '',
    trusted       INTEGER NOT NULL DEFAULT 0,
    trusted_until TEXT,
    UNIQUE (user_id, fingerprint)
);

-- One row per refresh token; a family (family_id) is one login session and
-- everything rotated from it. Only the SHA-256 of the token is kept.
CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id   TEXT    NOT NULL,
    device_id   INTEGER REFERENCES registered_devices(id) ON DELETE SET NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    retired_at  TEXT,
    revoked_at  TEXT,
    ip          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_device ON refresh_tokens(device_id);

-- Access tokens refused before their expiry (logout).
CREATE TABLE revoked_tokens (
    jti        TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    revoked_at TEXT    NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);

-- Login attempts (device_login_attempts) and security changes (audit) in
-- one table. user_id is NULL for attempts on unknown emails.
CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    actor_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    type        TEXT    NOT NULL,
    success     INTEGER NOT NULL DEFAULT 1,
    reason      TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    device_id   INTEGER REFERENCES registered_devices(id) ON DELETE SET NULL,
    device_name TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
);
CREATE INDEX security_events_user ON security_events(user_id, id);
CREATE INDEX security_events_type ON security_events(type, id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, id);
