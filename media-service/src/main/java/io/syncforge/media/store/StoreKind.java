package io.syncforge.media.store;

/** Which {@link BlobStore} holds the bytes: {@code sync.media.store=filesystem|s3}. */
public enum StoreKind {
  /** {@link FileSystemBlobStore} under {@code sync.media.root} (the default). */
  FILESYSTEM,
  /** {@link S3BlobStore} in the bucket {@code sync.media.s3.bucket}. */
  S3
}
