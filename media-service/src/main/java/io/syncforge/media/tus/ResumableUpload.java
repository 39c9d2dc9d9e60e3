package io.syncforge.media.tus;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A tus upload in progress (table {@code media.upload}). Its bytes are the local file {@code
 * <root>/uploads/<id>}; the file's length is the upload's offset.
 */
@Entity
@Table(name = "upload", schema = "media")
public class ResumableUpload {

  @Id public UUID id;

  @Column(nullable = false)
  public String tenant;

  /** The user who created it; only they may continue or end it. */
  @Column(name = "user_id", nullable = false)
  public String userId;

  /** The declared hash, verified when the last byte arrived. */
  @Column(nullable = false)
  public String sha256;

  /** {@code Upload-Length}. */
  @Column(nullable = false)
  public long length;

  @Column(name = "content_type", nullable = false)
  public String contentType;

  @Column(name = "file_name")
  public String fileName;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  /** Moved forward by every PATCH; an upload idle past it is removed. */
  @Column(name = "expires_at", nullable = false)
  public Instant expiresAt;
}
