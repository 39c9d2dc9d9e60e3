package io.syncforge.media.meta;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaObject;
import io.syncforge.media.MediaObjectRepository;
import io.syncforge.media.outbox.MediaMutations;
import io.syncforge.media.outbox.OutboxWriter;
import io.syncforge.media.refs.MediaRefRepository;
import io.syncforge.media.store.BlobEntryRepository;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
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
   * Protects the content from the collector for the grace period (see {@link
   * BlobEntryRepository#reserve}). No longer a step of the upload path (since 2026-12-02 an upload
   * places its bytes first and {@link #register}s them in one transaction; the orphan sweep's age
   * cutoff protects bytes being placed); kept for callers that place bytes long before they
   * register them.
   *
   * @return whether the content had a row already (its bytes are then likely stored)
   */
  public boolean reserve(String sha256, long size) {
    return blobs.reserve(sha256, size);
  }

  /**
   * Fails early, before the bytes are placed, when the tenant's quota cannot take the content. Not
   * authoritative ({@link #register} checks again on the tenant's usage row). One round trip: the
   * tenant's usage counter and whether it has the content already.
   */
  @Transactional(Transactional.TxType.SUPPORTS)
  public void checkQuota(Caller caller, String sha256, long size) {
    long quota = config.limits().tenantQuota();
    if (quota <= 0) {
      return;
    }
    Object[] row =
        (Object[])
            media
                .getEntityManager()
                .createNativeQuery(
                    "SELECT COALESCE((SELECT sum(u.bytes) FROM media.tenant_usage u"
                        + " WHERE u.tenant = ?1), 0),"
                        + " EXISTS (SELECT 1 FROM media.media_object m"
                        + " WHERE m.tenant = ?1 AND m.sha256 = ?2)")
                .setParameter(1, caller.tenant())
                .setParameter(2, sha256)
                .getSingleResult();
    if (Boolean.TRUE.equals(row[1])) {
      return;
    }
    long used = ((Number) row[0]).longValue();
    if (used + size > quota) {
      throw quotaExceeded(quota, used, size);
    }
  }

  /**
   * The upload's registration, after its bytes are in the store: one short transaction of two
   * statements (three for content new to the tenant) and the commit.
   *
   * <ol>
   *   <li>One statement takes the content's advisory lock (the orphan sweep's, so it cannot remove
   *       the bytes just placed), creates or locks the blob row and marks it referenced (the
   *       collector's lock), inserts the tenant's metadata if it has none and the caller's
   *       reference. Lock order as everywhere: the content, then its blob row, then metadata.
   *   <li>Under those locks it checks that the bytes are stored (a collector or sweep that ran
   *       between the placement and the lock may have taken them: {@code 503}, the client sends
   *       again), so metadata never points at missing bytes.
   *   <li>For content new to the tenant, one statement adds its size to the tenant's usage row
   *       (which locks it: concurrent uploads of one tenant serialise here until their commits) and
   *       writes the outbox row; past the quota the transaction rolls back ({@code 507}).
   * </ol>
   *
   * A crash before the commit leaves placed bytes without a row, which the orphan sweep removes
   * after the grace (or an earlier unreferenced row the collector removes).
   */
  public Registered register(
      Caller caller, String sha256, long size, String contentType, String fileName) {
    return register(caller, sha256, size, contentType, fileName, () -> {}, () -> false);
  }

  /**
   * {@link #register}, running {@code placed} after the first statement (and before anything that
   * locks the tenant's usage row): the caller's wait until its placement is durable, which so
   * overlaps with the first round trip; a failure of it rolls the registration back. When the bytes
   * are not stored (any more) under the locks, {@code placeAgain} may place them now (the caller
   * did not place them because they were stored, and still has them): nobody can remove them before
   * the commit then; if it returns false the answer is {@code 503}.
   */
  public Registered register(
      Caller caller,
      String sha256,
      long size,
      String contentType,
      String fileName,
      Runnable placed,
      java.util.function.BooleanSupplier placeAgain) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Number inserted =
        (Number)
            media
                .getEntityManager()
                .createNativeQuery(
                    "WITH l AS (SELECT pg_advisory_xact_lock(hashtextextended(?1, 0)) AS locked),"
                        + " b AS (INSERT INTO media.blob (sha256, size, created_at,"
                        + " unreferenced_since) SELECT ?2, ?3, now(), NULL FROM l"
                        + " ON CONFLICT (sha256) DO UPDATE SET unreferenced_since = NULL,"
                        + " gc_failures = 0, gc_retry_at = NULL RETURNING sha256),"
                        + " o AS (INSERT INTO media.media_object (tenant, sha256, size,"
                        + " content_type, file_name, uploaded_by, uploaded_at)"
                        + " SELECT ?4, b.sha256, ?3, ?5, CAST(?6 AS VARCHAR), ?7, ?8 FROM b"
                        + " ON CONFLICT (tenant, sha256) DO NOTHING RETURNING id),"
                        + " r AS (INSERT INTO media.media_ref (tenant, sha256, holder, created_at)"
                        + " SELECT ?4, b.sha256, ?9, ?8 FROM b ON CONFLICT DO NOTHING)"
                        + " SELECT COALESCE((SELECT id FROM o), -1)")
                .setParameter(1, BlobEntryRepository.contentLockKey(sha256))
                .setParameter(2, sha256)
                .setParameter(3, size)
                .setParameter(4, caller.tenant())
                .setParameter(5, contentType)
                .setParameter(6, fileName)
                .setParameter(7, caller.user())
                .setParameter(8, now)
                .setParameter(9, MediaRefRepository.userHolder(caller.user()))
                .getSingleResult();
    placed.run();
    if (!store.existsUnchecked(sha256) && !placeAgain.getAsBoolean()) {
      LOG.warnf("content %s was collected while it was being uploaded; the client retries", sha256);
      throw ProblemException.unavailable("the content was collected meanwhile; send it again", 1);
    }
    long id = inserted.longValue();
    if (id < 0) {
      // The tenant had the content already (read now: the statement's snapshot may predate a
      // concurrent upload of it that committed while this one waited for the blob row).
      MediaObject existing =
          media
              .findByTenantAndSha(caller.tenant(), sha256)
              .orElseThrow(
                  () -> new IllegalStateException("no metadata for " + sha256 + " after insert"));
      return new Registered(existing, false);
    }
    MediaObject o = new MediaObject();
    o.id = id;
    o.tenant = caller.tenant();
    o.sha256 = sha256;
    o.size = size;
    o.contentType = contentType;
    o.fileName = fileName;
    o.uploadedBy = caller.user();
    o.uploadedAt = now;
    OutboxWriter.Pending entry = outbox.prepare(MediaMutations.upsert(o, mapper, o.uploadedAt));
    long quota = config.limits().tenantQuota();
    long usage =
        ((Number)
                media
                    .getEntityManager()
                    .createNativeQuery(
                        "WITH u AS (INSERT INTO media.tenant_usage (tenant, shard, bytes)"
                            + " VALUES (?1, ?6, ?2) ON CONFLICT (tenant, shard) DO UPDATE"
                            + " SET bytes = media.tenant_usage.bytes + EXCLUDED.bytes"
                            + " RETURNING bytes),"
                            + " x AS (INSERT INTO media.outbox (message_key, payload, created_at)"
                            + " VALUES (?3, ?4, ?5))"
                            + " SELECT (SELECT bytes FROM u) + COALESCE((SELECT sum(t.bytes)"
                            + " FROM media.tenant_usage t WHERE t.tenant = ?1 AND t.shard <> ?6), 0)")
                    .setParameter(1, caller.tenant())
                    .setParameter(2, size)
                    .setParameter(3, entry.key())
                    .setParameter(4, entry.payload())
                    .setParameter(5, entry.createdAt())
                    .setParameter(6, usageShard(quota))
                    .getSingleResult())
            .longValue();
    if (quota > 0 && usage > quota) {
      // Rolls back metadata, reference, usage and outbox row; the placed bytes stay for a later
      // upload or the orphan sweep.
      throw quotaExceeded(quota, usage - size, size);
    }
    outbox.announce();
    return new Registered(o, true);
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
    media
        .getEntityManager()
        .createNativeQuery(
            "INSERT INTO media.tenant_usage (tenant, shard, bytes) VALUES (?1, ?3, -?2)"
                + " ON CONFLICT (tenant, shard) DO UPDATE"
                + " SET bytes = media.tenant_usage.bytes + EXCLUDED.bytes")
        .setParameter(1, o.tenant)
        .setParameter(2, o.size)
        .setParameter(3, usageShard(config.limits().tenantQuota()))
        .executeUpdate();
    outbox.enqueue(MediaMutations.delete(o, caller.user(), Instant.now()));
    if (!media.isReferenced(sha256)) {
      blobs.update("unreferencedSince = ?1 where sha256 = ?2", Instant.now(), sha256);
    }
  }

  /**
   * The {@code media.tenant_usage} row a change goes to: with a quota shard 0 (its lock serialises
   * the quota check), without one a random shard 1..15 (concurrent uploads do not queue on one
   * row). The tenant's usage is the sum over its shards.
   */
  private static short usageShard(long quota) {
    return quota > 0 ? 0 : (short) java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 16);
  }

  private static ProblemException quotaExceeded(long quota, long used, long size) {
    return new ProblemException(
        ErrorCode.QUOTA_EXCEEDED,
        "the tenant's media quota of "
            + quota
            + " bytes is used up ("
            + used
            + " bytes stored, "
            + size
            + " more requested)");
  }

  private static ProblemException notFound(String sha256) {
    return new ProblemException(ErrorCode.NOT_FOUND, "no media " + sha256 + " for this tenant");
  }
}
