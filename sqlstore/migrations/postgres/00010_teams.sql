-- A user's sales team: a sales rep works the leads of everyone in their
-- team. '' is no team.

-- +goose Up
ALTER TABLE users ADD COLUMN team TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN team;
