-- Issue 14: resumable uploads (tus 1.0). One row per upload in progress; its bytes are a local
-- file <root>/uploads/<id> whose length is the upload's offset. The row and the file go when the
-- upload completes, is terminated, or expires.
CREATE TABLE media.upload (
  id           UUID         PRIMARY KEY,
  tenant       VARCHAR(64)  NOT NULL,
  user_id      VARCHAR(255) NOT NULL,
  sha256       VARCHAR(64)  NOT NULL,
  length       BIGINT       NOT NULL,
  content_type VARCHAR(255) NOT NULL,
  file_name    VARCHAR(255),
  created_at   TIMESTAMPTZ  NOT NULL,
  expires_at   TIMESTAMPTZ  NOT NULL
);
CREATE INDEX upload_expires_idx ON media.upload (expires_at);
