-- Second factors: TOTP (secret sealed with the appliance's SecretBox), the
-- used-code history that stops a TOTP code being replayed, hashed backup
-- codes, and WebAuthn passkeys. users.tfa_enabled mirrors "has a factor".

CREATE TABLE user_two_factor_auth (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    -- The active TOTP secret (sealed, context "totp:<user_id>"), '' when off.
    totp_secret_enc  TEXT    NOT NULL DEFAULT '',
    totp_enabled     INTEGER NOT NULL DEFAULT 0,
    totp_enabled_at  TEXT,
    -- A secret handed out by setup and not yet confirmed with a code.
    totp_pending_enc TEXT    NOT NULL DEFAULT '',
    totp_pending_at  TEXT,
    -- Per-user salt of the backup-code hashes (hex).
    backup_salt      TEXT    NOT NULL DEFAULT '',
    -- The WebAuthn user handle: 32 random bytes, never the row id.
    webauthn_user_id BLOB UNIQUE,
    updated_at       TEXT    NOT NULL
);

-- TOTP time steps already used per user: a code is good once, and never
-- for a step at or before one already used.
CREATE TABLE totp_history (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    step    INTEGER NOT NULL,
    used_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, step)
);

-- Ten single-use codes per user; only HMAC-SHA256(salt, code) is kept.
CREATE TABLE backup_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    used_at    TEXT,
    UNIQUE (user_id, code_hash)
);

-- WebAuthn credentials; credential is go-webauthn's Credential as JSON
-- (public key, flags, authenticator with its sign counter).
CREATE TABLE passkey_credentials (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id BLOB    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL CHECK (json_valid(credential)),
    sign_count    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX passkey_credentials_user ON passkey_credentials(user_id);
