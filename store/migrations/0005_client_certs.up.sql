-- Client certificates issued by the appliance's client CA (mutual TLS).
-- The server reads this table on every mTLS request, so a revocation made
-- by the CLI in another process takes effect without a restart. A user's
-- certificates go with the user: a deleted row is an unknown certificate,
-- which the server refuses like a revoked one.
CREATE TABLE client_certs (
    serial      TEXT    PRIMARY KEY,  -- lower-case hex, no leading zeros
    name        TEXT    NOT NULL,     -- the certificate's CN
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE, -- NULL: not tied to a user
    not_before  TEXT    NOT NULL,
    not_after   TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);

CREATE INDEX client_certs_user ON client_certs(user_id);
