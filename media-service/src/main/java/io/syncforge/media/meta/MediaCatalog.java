package io.syncforge.media.meta;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaObject;
import io.syncforge.media.MediaObjectRepository;
import io.syncforge.media.outbox.MediaMutations;
import io.syncforge.media.outbox.OutboxWriter;
import io.syncforge.media.refs.MediaRefRepository;
import io.syncforge.media.store.BlobEntry;
import io.syncforge.media.store.BlobEntryRepository;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jboss.logging.Logger;

/**
 * The tenants' metadata, their references and its lifecycle. Each method is one short transaction;
 * none of them moves bytes. Those that change metadata lock the content's blob row first, then
 * touch metadata, references and the outbox, so upload, delete and garbage collection of the same
 * content are serialised.
 *
 * <p>Who may delete what: a user removes only their own reference ({@code DELETE
 * /v1/media/{sha256}}); {@code sync-admin} removes all references of the tenant. The tenant's
 * metadata (and its {@code _media} record) goes with the last reference; the bytes when no tenant
 * has metadata for them and the grace has passed.
 */
@ApplicationScoped
@Transactional
public class MediaCatalog {

  private static final Logger LOG = Logger.getLogger(MediaCatalog.class);

  /** The outcome of registering an upload: the metadata and whether it is new for the tenant. */
  public record Registered(MediaObject media, boolean created) {}

  private final MediaObjectRepository media;
  private final BlobEntryRepository blobs;
  private final MediaRefRepository refs;
  private final BlobStore store;
  private final OutboxWriter outbox;
  private final ObjectMapper mapper;
  private final MediaConfig config;

  public MediaCatalog(
      MediaObjectRepository media,
      BlobEntryRepository blobs,
      MediaRefRepository refs,
      BlobStore store,
      OutboxWriter outbox,
      ObjectMapper mapper,
      MediaConfig config) {
    this.media = media;
    this.blobs = blobs;
    this.refs = refs;
    this.store = store;
    this.outbox = outbox;
    this.mapper = mapper;
    this.config = config;
  }

  /**
   * Step 1 of an upload, after the bytes are verified and before they are placed: protects the
   * content from the collector for the grace period (see {@link BlobEntryRepository#reserve}).
   *
   * @return whether the content had a row already (its bytes are then likely stored)
   */
  public boolean reserve(String sha256, long size) {
    return blobs.reserve(sha256, size);
  }

  /**
   * Fails early, before the bytes are placed, when the tenant's quota cannot take the content. Not
   * authoritative ({@link #register} checks again under the tenant's lock).
   */
  @Transactional(Transactional.TxType.SUPPORTS)
  public void checkQuota(Caller caller, String sha256, long size) {
    if (config.limits().tenantQuota() <= 0
        || media.findByTenantAndSha(caller.tenant(), sha256).isPresent()) {
      return;
    }
    requireQuota(caller.tenant(), size);
  }

  /**
   * Step 3 of an upload, after its bytes are in the store: records the tenant's metadata (if new)
   * and the caller's reference in one short transaction. Under the blob row lock it checks that the
   * bytes are still stored (a collector that ran after a very slow placement could have taken
   * them), so metadata never points at missing bytes; then the collector, which takes the same
   * lock, sees the content referenced.
   */
  public Registered register(
      Caller caller, String sha256, long size, String contentType, String fileName) {
    BlobEntry blob = blobs.lock(sha256).orElse(null);
    if (blob == null || !stored(sha256)) {
      LOG.warnf("content %s was collected while it was being uploaded; the client retries", sha256);
      throw ProblemException.unavailable("the content was collected meanwhile; send it again", 1);
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    MediaObject existing = media.findByTenantAndSha(caller.tenant(), sha256).orElse(null);
    boolean created = existing == null;
    MediaObject o = existing;
    if (created) {
      if (config.limits().tenantQuota() > 0) {
        // Without a quota there is nothing to serialise: concurrent uploads of one tenant would
        // otherwise queue on this lock until each other's commit.
        lockTenant(caller.tenant());
        requireQuota(caller.tenant(), size);
      }
      o = new MediaObject();
      o.tenant = caller.tenant();
      o.sha256 = sha256;
      o.size = size;
      o.contentType = contentType;
      o.fileName = fileName;
      o.uploadedBy = caller.user();
      o.uploadedAt = now;
      media.persistAndFlush(o);
      outbox.enqueue(MediaMutations.upsert(o, mapper, o.uploadedAt));
    }
    refs.add(caller.tenant(), sha256, MediaRefRepository.userHolder(caller.user()), now);
    blob.unreferencedSince = null;
    blob.gcFailures = 0;
    blob.gcRetryAt = null;
    return new Registered(o, created);
  }

  /** The caller's tenant's metadata, or 404 (also when another tenant has the content). */
  @Transactional(Transactional.TxType.SUPPORTS)
  public MediaObject get(Caller caller, String sha256) {
    return media.findByTenantAndSha(caller.tenant(), sha256).orElseThrow(() -> notFound(sha256));
  }

  /**
   * Removes the caller's reference ({@code sync-admin}: every reference of the tenant). With the
   * last reference the tenant's metadata goes and the {@code _media} tombstone is queued; when no
   * tenant has metadata for the content any more it becomes collectable after the grace period.
   *
   * @throws ProblemException 404 when the tenant has no such content, 403 when the caller (not
   *     admin) holds no reference to it
   */
  public void delete(Caller caller, String sha256) {
    if (blobs.lock(sha256).isEmpty()) {
      throw notFound(sha256);
    }
    MediaObject o =
        media.findByTenantAndSha(caller.tenant(), sha256).orElseThrow(() -> notFound(sha256));
    if (caller.admin()) {
      refs.removeAll(caller.tenant(), sha256);
    } else if (!refs.remove(
        caller.tenant(), sha256, MediaRefRepository.userHolder(caller.user()))) {
      throw new ProblemException(
          ErrorCode.FORBIDDEN,
          "you hold no reference to this media; only its holders or sync-admin may delete it");
    }
    if (refs.count(caller.tenant(), sha256) > 0) {
      return;
    }
    media.delete(o);
    media.flush();
    outbox.enqueue(MediaMutations.delete(o, caller.user(), Instant.now()));
    if (!media.isReferenced(sha256)) {
      blobs.update("unreferencedSince = ?1 where sha256 = ?2", Instant.now(), sha256);
    }
  }

  private boolean stored(String sha256) {
    try {
      return store.exists(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the blob store", e);
    }
  }

  /** Serialises quota checks of one tenant (after the blob lock; nothing is locked after it). */
  private void lockTenant(String tenant) {
    media
        .getEntityManager()
        .createNativeQuery("SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))")
        .setParameter(1, "media-quota:" + tenant)
        .getSingleResult();
  }

  private void requireQuota(String tenant, long size) {
    long quota = config.limits().tenantQuota();
    if (quota <= 0) {
      return;
    }
    long used = media.bytesOf(tenant);
    if (used + size > quota) {
      throw new ProblemException(
          ErrorCode.QUOTA_EXCEEDED,
          "the tenant's media quota of "
              + quota
              + " bytes is used up ("
              + used
              + " bytes stored, "
              + size
              + " more requested)");
    }
  }

  private static ProblemException notFound(String sha256) {
    return new ProblemException(ErrorCode.NOT_FOUND, "no media " + sha256 + " for this tenant");
  }
}
