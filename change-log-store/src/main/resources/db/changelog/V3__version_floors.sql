-- Issue 11: versions never go backwards. When compaction purges a tombstone, the highest
-- version purged per (tenant, collection) is kept here; a record created where none exists
-- starts at floor + 1, so it is above any version a device may still hold for a purged record.
CREATE TABLE version_floors (
    tenant          text        NOT NULL,
    collection      text        NOT NULL,
    floor           bigint      NOT NULL,
    PRIMARY KEY (tenant, collection)
);
GRANT SELECT ON version_floors TO sync_reader;
