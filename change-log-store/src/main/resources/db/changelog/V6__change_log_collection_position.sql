-- Issue 13 item 6: "tenant's entries of these collections after offset X in partition p".
-- Without it a pull with collections= walks change_log_tenant_position and drops the rows of
-- other collections one by one (a tenant with 1,000,000 task changes and 10 note changes read
-- 1,000,000 index entries for a notes-only pull). sync-api's FilteredPullPlanTest shows the plan.
-- Plain CREATE INDEX (it runs inside Flyway's transaction and locks writes while it builds): on
-- a large existing log, create it beforehand with CREATE INDEX CONCURRENTLY under this name and
-- this migration becomes a no-op.
CREATE INDEX IF NOT EXISTS change_log_tenant_collection_position
    ON change_log (tenant, collection, log_partition, log_offset);
