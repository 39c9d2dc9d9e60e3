-- The change log. Written only by change-log-service (one writer per Kafka partition);
-- read by sync-api through the role sync_reader. See docs/architecture.md.
--
-- Coordinates: (log_partition, log_offset) are the partition and offset of the mutation
-- record in the Kafka topic sync.mutations that caused a row. A pull reads
-- log_offset >= cursor[p] for each partition p.

-- Current state of every record, tombstones included.
CREATE TABLE records (
    tenant          text        NOT NULL,
    collection      text        NOT NULL,
    record_id       text        NOT NULL,
    -- Server version: 1 on creation, +1 on every change (deletes and restores included).
    version         bigint      NOT NULL,
    -- Current fields. For a tombstone: the last live fields, kept only so that a restore by
    -- patch is whole; pulls and snapshots never send a tombstone's data.
    data            jsonb       NOT NULL,
    deleted         boolean     NOT NULL DEFAULT false,
    -- {"field": version that last changed it}: what makes field-level merges possible.
    field_versions  jsonb       NOT NULL DEFAULT '{}',
    -- {"field": epoch millis of that edit}: used only by the last-writer-wins policy.
    field_times     jsonb       NOT NULL DEFAULT '{}',
    -- The version that last created, deleted or restored the record, and that edit's time
    -- (epoch millis): what delete-versus-edit conflicts are decided on.
    state_version   bigint      NOT NULL,
    state_time      bigint      NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- Coordinates of the change that produced this state.
    log_partition   int         NOT NULL,
    log_offset      bigint      NOT NULL,
    PRIMARY KEY (tenant, collection, record_id)
);

-- Append-only: one row per applied mutation (none for a rejected or duplicate one).
CREATE TABLE change_log (
    log_partition   int         NOT NULL,
    log_offset      bigint      NOT NULL,
    tenant          text        NOT NULL,
    collection      text        NOT NULL,
    record_id       text        NOT NULL,
    version         bigint      NOT NULL,
    op              text        NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')),
    -- Post-image: the record's full state after this change ('{}' for a tombstone).
    data            jsonb       NOT NULL,
    deleted         boolean     NOT NULL,
    mutation_id     uuid        NOT NULL,
    client_id       text        NOT NULL,
    server_time     timestamptz NOT NULL,
    PRIMARY KEY (log_partition, log_offset)
);
-- "Tenant's entries after offset X in partition p".
CREATE INDEX change_log_tenant_position ON change_log (tenant, log_partition, log_offset);
-- Compaction: find superseded entries of one record.
CREATE INDEX change_log_record ON change_log (tenant, collection, record_id, log_partition, log_offset);

-- Durable receipts, and the dedupe key: the same (tenant, client_id, mutation_id) is applied once.
CREATE TABLE mutation_outcomes (
    tenant          text        NOT NULL,
    client_id       text        NOT NULL,
    mutation_id     uuid        NOT NULL,
    -- Coordinates of the first Kafka record that carried this mutation.
    log_partition   int         NOT NULL,
    log_offset      bigint      NOT NULL,
    -- Null only when a rejected mutation did not name a valid record.
    collection      text,
    record_id       text,
    status          text        NOT NULL CHECK (status IN ('applied', 'merged', 'rejected')),
    version         bigint,
    -- [{field, local, server, resolved, policy}] for status merged.
    conflicts       jsonb,
    error_code      text,
    error_message   text,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, client_id, mutation_id)
);
-- "This client's receipts in the cursor range", the same range query as the changes.
CREATE INDEX mutation_outcomes_receipts ON mutation_outcomes (tenant, client_id, log_partition, log_offset);
-- Receipt retention.
CREATE INDEX mutation_outcomes_created ON mutation_outcomes (created_at);

-- Next offset to apply, per partition of sync.mutations; committed with the batch it follows.
CREATE TABLE partition_positions (
    log_partition   int         PRIMARY KEY,
    next_offset     bigint      NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Per partition, the oldest offset from which the log is still complete. A cursor below it
-- may have missed a compacted entry and must reset from a snapshot (410 cursor_expired).
CREATE TABLE log_horizon (
    log_partition   int         PRIMARY KEY,
    min_offset      bigint      NOT NULL,
    -- Entries older than this server time may have been compacted away.
    horizon_time    timestamptz NOT NULL,
    compacted_at    timestamptz NOT NULL
);

-- One row: the log's generation. The partition count is part of every cursor; when it
-- changes, every cursor is void (410 log_epoch_changed) and devices re-snapshot.
CREATE TABLE log_epoch (
    id              int         PRIMARY KEY CHECK (id = 1),
    epoch           bigint      NOT NULL,
    partitions      int         NOT NULL,
    changed_at      timestamptz NOT NULL
);

-- The read-only role sync-api reads through (a login role is granted membership in it).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync_reader') THEN
        CREATE ROLE sync_reader NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO sync_reader;
GRANT SELECT ON records, change_log, mutation_outcomes, partition_positions, log_horizon, log_epoch
    TO sync_reader;
