package io.syncforge.media;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One tenant's metadata for one content (table {@code media.media_object}). The wire form is {@link
 * io.syncforge.protocol.MediaMetadata}; without this row the tenant cannot read the bytes.
 */
@Entity
@Table(name = "media_object", schema = "media")
public class MediaObject {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(nullable = false)
  public String tenant;

  @Column(nullable = false)
  public String sha256;

  @Column(nullable = false)
  public long size;

  @Column(name = "content_type", nullable = false)
  public String contentType;

  @Column(name = "file_name")
  public String fileName;

  @Column(name = "uploaded_by", nullable = false)
  public String uploadedBy;

  @Column(name = "uploaded_at", nullable = false)
  public Instant uploadedAt;
}
