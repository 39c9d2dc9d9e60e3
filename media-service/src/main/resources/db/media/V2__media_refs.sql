-- Issue 14: references instead of ownership by the first uploader, and retry bookkeeping so
-- one blob or outbox row that keeps failing does not stop the others.

-- Who of a tenant holds a content: one row per (tenant, sha256, holder). holder is
-- 'user:<sub>' (a user who uploaded it). The tenant's media_object row lives exactly as long as
-- it has at least one reference; the bytes go when no tenant has a media_object any more and the
-- grace has passed.
CREATE TABLE media.media_ref (
  tenant     VARCHAR(64)  NOT NULL,
  sha256     VARCHAR(64)  NOT NULL,
  holder     VARCHAR(300) NOT NULL,
  created_at TIMESTAMPTZ  NOT NULL,
  PRIMARY KEY (tenant, sha256, holder),
  CONSTRAINT media_ref_object_fk FOREIGN KEY (tenant, sha256)
    REFERENCES media.media_object (tenant, sha256) ON DELETE CASCADE
);

-- Existing metadata: the first uploader was the owner, now the first reference.
INSERT INTO media.media_ref (tenant, sha256, holder, created_at)
  SELECT tenant, sha256, 'user:' || uploaded_by, uploaded_at FROM media.media_object;

-- A blob whose deletion failed is retried later with backoff instead of heading every run.
ALTER TABLE media.blob
  ADD COLUMN gc_failures INT NOT NULL DEFAULT 0,
  ADD COLUMN gc_retry_at TIMESTAMPTZ;

-- An outbox row Kafka keeps refusing is retried with backoff; later rows of other keys go on.
ALTER TABLE media.outbox
  ADD COLUMN attempts        INT NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at TIMESTAMPTZ,
  ADD COLUMN last_error      VARCHAR(500);
CREATE INDEX outbox_message_key_idx ON media.outbox (message_key, id);
