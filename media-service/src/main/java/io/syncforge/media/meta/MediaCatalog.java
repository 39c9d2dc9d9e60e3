package io.syncforge.media.meta;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.media.MediaObject;
import io.syncforge.media.MediaObjectRepository;
import io.syncforge.media.outbox.MediaMutations;
import io.syncforge.media.outbox.OutboxWriter;
import io.syncforge.media.store.BlobEntryRepository;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The tenants' metadata and its lifecycle. Each method is one transaction that locks the content's
 * blob row first, then touches metadata and the outbox, so upload, delete and garbage collection of
 * the same content are serialised.
 */
@ApplicationScoped
@Transactional
public class MediaCatalog {

  /** The outcome of registering an upload: the metadata and whether it is new for the tenant. */
  public record Registered(MediaObject media, boolean created) {}

  private final MediaObjectRepository media;
  private final BlobEntryRepository blobs;
  private final BlobStore store;
  private final OutboxWriter outbox;
  private final ObjectMapper mapper;

  public MediaCatalog(
      MediaObjectRepository media,
      BlobEntryRepository blobs,
      BlobStore store,
      OutboxWriter outbox,
      ObjectMapper mapper) {
    this.media = media;
    this.blobs = blobs;
    this.store = store;
    this.outbox = outbox;
    this.mapper = mapper;
  }

  /**
   * Records verified content for the caller's tenant and moves the temp file into the store. The
   * blob row lock is held while the file is placed, so a garbage collector cannot delete it between
   * the move and the commit; the move comes last, after every statement that could fail.
   */
  public Registered register(
      Caller caller,
      String sha256,
      long size,
      String contentType,
      String fileName,
      Path verifiedTempFile) {
    blobs.referenceAndLock(sha256, size);
    MediaObject existing = media.findByTenantAndSha(caller.tenant(), sha256).orElse(null);
    boolean created = existing == null;
    MediaObject o = existing;
    if (created) {
      o = new MediaObject();
      o.tenant = caller.tenant();
      o.sha256 = sha256;
      o.size = size;
      o.contentType = contentType;
      o.fileName = fileName;
      o.uploadedBy = caller.user();
      o.uploadedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
      media.persistAndFlush(o);
      outbox.enqueue(MediaMutations.upsert(o, mapper, o.uploadedAt));
    }
    try {
      store.put(sha256, verifiedTempFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store blob", e);
    }
    return new Registered(o, created);
  }

  /** The caller's tenant's metadata, or 404 (also when another tenant has the content). */
  @Transactional(Transactional.TxType.SUPPORTS)
  public MediaObject get(Caller caller, String sha256) {
    return media.findByTenantAndSha(caller.tenant(), sha256).orElseThrow(() -> notFound(sha256));
  }

  /**
   * Deletes the tenant's metadata and queues the {@code _media} tombstone. Allowed to the uploader
   * and to {@code sync-admin}. When no tenant references the content any more it becomes
   * collectable after the grace period.
   */
  public void delete(Caller caller, String sha256) {
    if (blobs.lock(sha256).isEmpty()) {
      throw notFound(sha256);
    }
    MediaObject o =
        media.findByTenantAndSha(caller.tenant(), sha256).orElseThrow(() -> notFound(sha256));
    if (!caller.admin() && !caller.user().equals(o.uploadedBy)) {
      throw new ProblemException(
          ErrorCode.FORBIDDEN, "only the uploader or sync-admin may delete this media");
    }
    media.delete(o);
    media.flush();
    outbox.enqueue(MediaMutations.delete(o, caller.user(), Instant.now()));
    if (!media.isReferenced(sha256)) {
      blobs.update("unreferencedSince = ?1 where sha256 = ?2", Instant.now(), sha256);
    }
  }

  private static ProblemException notFound(String sha256) {
    return new ProblemException(ErrorCode.NOT_FOUND, "no media " + sha256 + " for this tenant");
  }
}
