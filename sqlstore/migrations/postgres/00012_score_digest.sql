-- The digest of a score's evaluation (leadscore.Evaluation.Digest): what
-- its explanation says, less the time it was computed. The service reads it
-- with a lead's scores so that an evaluation telling the same story is not
-- written again, also after a restart or for a lead whose state was not in
-- memory (an activation's page, a colleague's re-score). Rows written before
-- have none and are written once more at their next evaluation.

-- +goose Up
ALTER TABLE scores ADD COLUMN digest BIGINT;

-- +goose Down
ALTER TABLE scores DROP COLUMN digest;
