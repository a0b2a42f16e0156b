-- The first schema. Every table carries workspace_id so that one database
-- can hold several clients' data; every query is scoped by it. Times are
-- INTEGER unix microseconds UTC (exact, indexable, the same in both
-- dialects); JSON is TEXT.

-- +goose Up
CREATE TABLE workspaces (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;

INSERT INTO workspaces (id, name, created_at)
VALUES ('default', 'Default', CAST(unixepoch('subsec') * 1000000 AS INTEGER));

CREATE TABLE leads (
    workspace_id     TEXT    NOT NULL REFERENCES workspaces (id),
    id               TEXT    NOT NULL,
    email            TEXT    NOT NULL DEFAULT '',
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    title            TEXT    NOT NULL DEFAULT '',
    phone            TEXT    NOT NULL DEFAULT '',
    country          TEXT    NOT NULL DEFAULT '',
    state            TEXT    NOT NULL DEFAULT '',
    city             TEXT    NOT NULL DEFAULT '',
    source           TEXT    NOT NULL DEFAULT '',
    account_id       TEXT    NOT NULL DEFAULT '',
    fields           TEXT,
    -- anonymous marks "anon:" visitors: kept for scoring and merging, never listed.
    anonymous        INTEGER NOT NULL DEFAULT 0,
    -- last_activity_at is the latest non-bot event, for account peers.
    last_activity_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;

CREATE INDEX leads_updated ON leads (workspace_id, anonymous, updated_at DESC, id);
CREATE INDEX leads_account ON leads (workspace_id, account_id, last_activity_at);

CREATE TABLE lead_aliases (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    alias        TEXT    NOT NULL,
    lead_id      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, alias)
) STRICT;

CREATE INDEX lead_aliases_lead ON lead_aliases (workspace_id, lead_id);

CREATE TABLE accounts (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    id           TEXT    NOT NULL,
    domain       TEXT    NOT NULL DEFAULT '',
    name         TEXT    NOT NULL DEFAULT '',
    industry     TEXT    NOT NULL DEFAULT '',
    country      TEXT    NOT NULL DEFAULT '',
    employees    INTEGER,
    revenue      REAL,
    priority     INTEGER NOT NULL DEFAULT 0,
    lists        TEXT,
    fields       TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;

CREATE INDEX accounts_domain ON accounts (workspace_id, domain);

CREATE TABLE account_lists (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
) STRICT;

CREATE TABLE account_list_members (
    workspace_id TEXT    NOT NULL,
    list         TEXT    NOT NULL,
    domain       TEXT    NOT NULL,
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, list, domain),
    FOREIGN KEY (workspace_id, list) REFERENCES account_lists (workspace_id, name) ON DELETE CASCADE
) STRICT;

CREATE INDEX account_list_members_domain ON account_list_members (workspace_id, domain);

-- events is append-only. AUTOINCREMENT keeps seq from ever being reused
-- after a lead is deleted, so seq orders events by acceptance for good.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    id           TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL DEFAULT '',
    -- message_id is NULL when a client sent none: such events are never deduplicated.
    message_id   TEXT,
    lead_id      TEXT    NOT NULL,
    anonymous_id TEXT    NOT NULL DEFAULT '',
    type         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    properties   TEXT,
    user_agent   TEXT    NOT NULL DEFAULT '',
    bot          INTEGER NOT NULL DEFAULT 0,
    bot_reason   TEXT    NOT NULL DEFAULT '',
    UNIQUE (workspace_id, source, message_id)
) STRICT;

CREATE INDEX events_lead ON events (workspace_id, lead_id, at, seq);

CREATE TABLE scores (
    workspace_id   TEXT    NOT NULL REFERENCES workspaces (id),
    lead_id        TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    version        TEXT    NOT NULL DEFAULT '',
    score          REAL    NOT NULL,
    display        INTEGER NOT NULL,
    band           TEXT    NOT NULL DEFAULT '',
    grade          TEXT    NOT NULL DEFAULT '',
    qualified      INTEGER NOT NULL DEFAULT 0,
    disqualified   INTEGER NOT NULL DEFAULT 0,
    evaluation     TEXT,
    -- next_change_at is NULL when the score never changes with time alone.
    next_change_at INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, lead_id, model)
) STRICT;

CREATE INDEX scores_rank ON scores (workspace_id, model, score DESC, lead_id);
CREATE INDEX scores_due ON scores (workspace_id, next_change_at, lead_id, model)
    WHERE next_change_at IS NOT NULL;

CREATE TABLE ledger (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    lead_id      TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    version      TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    old_score    REAL,
    new_score    REAL    NOT NULL,
    old_band     TEXT    NOT NULL DEFAULT '',
    new_band     TEXT    NOT NULL DEFAULT '',
    cause        TEXT    NOT NULL,
    cause_ref    TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    qualified    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX ledger_lead ON ledger (workspace_id, lead_id, seq);

CREATE TABLE models (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    spec         TEXT,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL DEFAULT '',
    active       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, name, version)
) STRICT;

-- At most one active version per model name, enforced by the database.
CREATE UNIQUE INDEX models_active ON models (workspace_id, name) WHERE active;

CREATE TABLE api_keys (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    prefix       TEXT    NOT NULL,
    hash         BLOB    NOT NULL,
    scopes       TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    PRIMARY KEY (workspace_id, id)
) STRICT;

-- The prefix is unique across workspaces: a presented key must identify
-- one workspace before anything else is known about the request.
CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);

CREATE TABLE jobs (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    id           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    detail       TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;

-- +goose Down
DROP TABLE jobs;
DROP TABLE api_keys;
DROP TABLE models;
DROP TABLE ledger;
DROP TABLE scores;
DROP TABLE events;
DROP TABLE account_list_members;
DROP TABLE account_lists;
DROP TABLE accounts;
DROP TABLE lead_aliases;
DROP TABLE leads;
DROP TABLE workspaces;
