-- Trained predictive models (the artefacts `leadscore train` writes) kept
-- in the database, so that a model file can name one as store:NAME and
-- every node of a deployment scores with the same bytes. The artefact is
-- stored DEFLATE-compressed (trees make it large); the training report is
-- JSON. Versions are immutable; current marks the one store:NAME means.

-- +goose Up
CREATE TABLE predictive_artifacts (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    body_z       BLOB    NOT NULL,
    report       TEXT,
    activatable  INTEGER NOT NULL DEFAULT 0,
    is_current   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (workspace_id, name, version)
) STRICT;

CREATE INDEX predictive_artifacts_created ON predictive_artifacts (workspace_id, name, created_at);
-- At most one current version per name, enforced by the database.
CREATE UNIQUE INDEX predictive_artifacts_current ON predictive_artifacts (workspace_id, name) WHERE is_current;

-- +goose Down
DROP TABLE predictive_artifacts;
