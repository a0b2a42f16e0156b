-- People who sign in to the web UI, and their server-side sessions. A
-- session's id is a hash of the token in its cookie, so reading this table
-- signs nobody in.

-- +goose Up
CREATE TABLE users (
    workspace_id  TEXT    NOT NULL REFERENCES workspaces (id),
    id            TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL,
    locale        TEXT    NOT NULL DEFAULT '',
    password_hash BYTEA   NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT,
    PRIMARY KEY (workspace_id, id)
);

CREATE UNIQUE INDEX users_email ON users (workspace_id, email);

CREATE TABLE sessions (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    id           TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    csrf         TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE INDEX sessions_user ON sessions (workspace_id, user_id);
CREATE INDEX sessions_last_seen ON sessions (workspace_id, last_seen_at);

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
