-- Issue 14, session 7: the tenant quota reads a few counter rows instead of SUM(size) over the
-- tenant's media_object rows; an upload's registration adds the content's size in the same
-- transaction that inserts the metadata (an upsert: a row appears with the tenant's first upload),
-- a delete of the tenant's metadata subtracts it. The tenant's usage is the sum over its shards.
-- With a quota every change goes to shard 0, whose row lock serialises the quota check of
-- concurrent uploads of one tenant (it replaces the tenant advisory lock); without a quota
-- (sync.media.limits.tenant-quota=0) a change goes to a random shard 1..15, so concurrent uploads
-- of one tenant do not queue on one row, and the counter is right when a quota is set later.
CREATE TABLE media.tenant_usage (
  tenant VARCHAR(64) NOT NULL,
  shard  SMALLINT    NOT NULL,
  bytes  BIGINT      NOT NULL,
  PRIMARY KEY (tenant, shard)
);

-- Existing metadata: what the SUM() over media_object gave so far.
INSERT INTO media.tenant_usage (tenant, shard, bytes)
  SELECT tenant, 0, sum(size) FROM media.media_object GROUP BY tenant;
