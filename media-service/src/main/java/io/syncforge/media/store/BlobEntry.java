package io.syncforge.media.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One distinct content on the blob store, shared by all tenants (table {@code media.blob}). Its row
 * lock serialises upload, delete and garbage collection of that content.
 */
@Entity
@Table(name = "blob", schema = "media")
public class BlobEntry {

  @Id public String sha256;

  @Column(nullable = false)
  public long size;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  /** When the last tenant's metadata went; null while referenced. */
  @Column(name = "unreferenced_since")
  public Instant unreferencedSince;

  /** Failed collection attempts in a row (reset when the blob is referenced again). */
  @Column(name = "gc_failures", nullable = false)
  public int gcFailures;

  /** After a failed collection: not tried again before this. */
  @Column(name = "gc_retry_at")
  public Instant gcRetryAt;
}
