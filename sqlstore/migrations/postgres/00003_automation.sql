-- Automation: each lead's lifecycle stage, owner and follow-up deadline,
-- the routing file, the lead history of transitions, outcomes from sales,
-- webhook subscriptions and the outbox of deliveries with their attempts.
-- Bodies and states are TEXT, not parsed JSON: a delivery must send
-- exactly the bytes it signed.

-- +goose Up
CREATE TABLE lead_automation (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    lead_id      TEXT    NOT NULL,
    account_id   TEXT    NOT NULL DEFAULT '',
    stage        TEXT    NOT NULL,
    owner        TEXT    NOT NULL DEFAULT '',
    open_mql     BOOLEAN NOT NULL DEFAULT FALSE,
    -- sla_due is NULL when no follow-up deadline is pending.
    sla_due      BIGINT,
    state        TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, lead_id)
);

CREATE INDEX lead_automation_sla ON lead_automation (workspace_id, sla_due, lead_id) WHERE sla_due IS NOT NULL;
CREATE INDEX lead_automation_open ON lead_automation (workspace_id, owner) WHERE open_mql;
CREATE INDEX lead_automation_account ON lead_automation (workspace_id, account_id, updated_at);

CREATE TABLE routing_files (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    version      TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    filename     TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (workspace_id, version)
);

CREATE UNIQUE INDEX routing_files_active ON routing_files (workspace_id) WHERE active;

CREATE TABLE routing_cursors (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    team         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    PRIMARY KEY (workspace_id, team)
);

CREATE TABLE lead_history (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    lead_id      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    owner        TEXT    NOT NULL DEFAULT '',
    event_id     TEXT    NOT NULL,
    data         TEXT    NOT NULL
);

CREATE INDEX lead_history_lead ON lead_history (workspace_id, lead_id, seq);
CREATE INDEX lead_history_kind ON lead_history (workspace_id, kind, owner);

CREATE TABLE outcomes (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    lead_id      TEXT    NOT NULL,
    result       TEXT    NOT NULL,
    value        DOUBLE PRECISION,
    currency     TEXT    NOT NULL DEFAULT '',
    at           BIGINT  NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    by_name      TEXT    NOT NULL DEFAULT '',
    recorded_at  BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, lead_id)
);

CREATE TABLE webhooks (
    workspace_id    TEXT    NOT NULL REFERENCES workspaces (id),
    id              TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    types           TEXT,
    models          TEXT,
    min_score_delta DOUBLE PRECISION    NOT NULL DEFAULT 0,
    description     TEXT    NOT NULL DEFAULT '',
    secret          TEXT    NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at     BIGINT,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE deliveries (
    workspace_id     TEXT    NOT NULL REFERENCES workspaces (id),
    id               TEXT    NOT NULL,
    webhook_id       TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    lead_id          TEXT    NOT NULL DEFAULT '',
    body             TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    first_attempt_at BIGINT,
    next_attempt_at  BIGINT,
    last_status      BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    delivered_at     BIGINT,
    PRIMARY KEY (workspace_id, id)
);

CREATE INDEX deliveries_due ON deliveries (workspace_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_recent ON deliveries (workspace_id, created_at DESC, id DESC);

CREATE TABLE delivery_attempts (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    delivery_id  TEXT    NOT NULL,
    n            BIGINT  NOT NULL,
    at           BIGINT  NOT NULL,
    outcome      TEXT    NOT NULL,
    status       BIGINT  NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT '',
    duration_ms  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, delivery_id, n)
);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE webhooks;
DROP TABLE outcomes;
DROP TABLE lead_history;
DROP TABLE routing_cursors;
DROP TABLE routing_files;
DROP TABLE lead_automation;
