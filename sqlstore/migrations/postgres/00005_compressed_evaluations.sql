-- A score's evaluation (its explanation) is stored DEFLATE-compressed in
-- evaluation_z: rewritten at every change of a busy lead's score, the JSON
-- text was most of the bytes written. Rows written before keep their JSON
-- in evaluation until their next change; readers take whichever is set.
-- Going down drops the compressed explanations (scores stay); activating a
-- model version re-scores every lead and writes them again.

-- +goose Up
ALTER TABLE scores ADD COLUMN evaluation_z BYTEA;

-- +goose Down
ALTER TABLE scores DROP COLUMN evaluation_z;
