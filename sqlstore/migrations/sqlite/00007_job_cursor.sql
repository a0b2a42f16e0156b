-- A job records how far it got (for an activation, the last lead id it
-- re-scored), so that a job interrupted by a restart continues from there.

-- +goose Up
ALTER TABLE jobs ADD COLUMN cursor TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE jobs DROP COLUMN cursor;
