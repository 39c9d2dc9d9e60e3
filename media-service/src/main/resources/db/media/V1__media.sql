-- media-service metadata, in its own schema with its own Flyway history.

-- One row per distinct content on the blob store, shared by all tenants. The row is the lock
-- that serialises an upload, a delete and garbage collection of the same content.
CREATE TABLE media.blob (
  sha256             VARCHAR(64) PRIMARY KEY,
  size               BIGINT      NOT NULL,
  created_at         TIMESTAMPTZ NOT NULL,
  -- set when the last media_object row of this content is deleted; GC removes the bytes once
  -- this is older than the grace period; an upload sets it back to NULL
  unreferenced_since TIMESTAMPTZ
);
CREATE INDEX blob_unreferenced_idx ON media.blob (unreferenced_since)
  WHERE unreferenced_since IS NOT NULL;

-- What a tenant knows about a content: without a row here the tenant cannot read the bytes.
CREATE TABLE media.media_object (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant       VARCHAR(64)  NOT NULL,
  sha256       VARCHAR(64)  NOT NULL REFERENCES media.blob (sha256),
  size         BIGINT       NOT NULL,
  content_type VARCHAR(255) NOT NULL,
  file_name    VARCHAR(255),
  uploaded_by  VARCHAR(255) NOT NULL,
  uploaded_at  TIMESTAMPTZ  NOT NULL,
  CONSTRAINT media_object_tenant_sha256_key UNIQUE (tenant, sha256)
);
CREATE INDEX media_object_sha256_idx ON media.media_object (sha256);

-- Transactional outbox: _media mutations written with the metadata, sent to sync.mutations by
-- OutboxPublisher and deleted once Kafka acknowledged them.
CREATE TABLE media.outbox (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_key VARCHAR(300) NOT NULL,
  payload     TEXT         NOT NULL,
  created_at  TIMESTAMPTZ  NOT NULL
);
