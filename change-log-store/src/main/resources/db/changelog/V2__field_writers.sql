-- Issue 11: "a device never conflicts with itself". Per field the server keeps the version
-- (field_versions) AND the client that last wrote it; a mutation conflicts on a field only if
-- another client changed it after the mutation's base version.
-- {"field": clientId that last changed it}; a field missing here counts as written by another
-- client (rows written before this migration stay conservative).
ALTER TABLE records ADD COLUMN field_writers jsonb NOT NULL DEFAULT '{}';
-- The client that last created, deleted or restored the record (null: unknown, i.e. another).
ALTER TABLE records ADD COLUMN state_writer text;
