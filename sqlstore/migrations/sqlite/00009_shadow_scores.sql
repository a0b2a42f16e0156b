-- Champion/challenger: a stored, inactive version of a model runs in shadow
-- beside the model's active version. Its scores are kept apart from the
-- scores table, so that nothing reading scores (lists, automation, the
-- ledger) can ever take a shadow score for the lead's score. A model name
-- has at most one shadow; started_at names the run its scores belong to.

-- +goose Up
CREATE TABLE model_shadows (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    model        TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    started_by   TEXT    NOT NULL DEFAULT '',
    job_id       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (workspace_id, model)
) STRICT;

CREATE TABLE shadow_scores (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    model        TEXT    NOT NULL,
    lead_id      TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    score        REAL    NOT NULL,
    band         TEXT    NOT NULL DEFAULT '',
    qualified    INTEGER NOT NULL DEFAULT 0,
    disqualified INTEGER NOT NULL DEFAULT 0,
    evaluation_z BLOB,
    -- next_change_at is NULL when the shadow score never changes with time
    -- alone; the shadow's own due pass walks it.
    next_change_at INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, model, lead_id)
) STRICT;

CREATE INDEX shadow_scores_due ON shadow_scores (workspace_id, model, next_change_at, lead_id)
    WHERE next_change_at IS NOT NULL;

-- +goose Down
DROP TABLE shadow_scores;
DROP TABLE model_shadows;
