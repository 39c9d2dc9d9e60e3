package io.syncforge.media.store;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The blob rows and their locks. Lock order everywhere: the blob row first, then media_object rows,
 * so upload, delete and GC of one content cannot deadlock.
 */
@ApplicationScoped
public class BlobEntryRepository implements PanacheRepositoryBase<BlobEntry, String> {

  /**
   * Before an upload places its bytes: creates the row as "unreferenced since now" or, if the
   * content is unreferenced, moves that time to now, so the collector leaves the bytes alone for
   * the grace period while they are placed outside any transaction. A referenced row is left as it
   * is. Takes the content's advisory lock that the orphan sweep takes too. A crash after this
   * leaves a row that the collector removes, with the bytes, after the grace.
   *
   * @return whether the row existed before
   */
  public boolean reserve(String sha256, long size) {
    lockContent(sha256);
    Object existed =
        getEntityManager()
            .createNativeQuery(
                "INSERT INTO media.blob (sha256, size, created_at, unreferenced_since)"
                    + " VALUES (?1, ?2, now(), now())"
                    + " ON CONFLICT (sha256) DO UPDATE SET unreferenced_since ="
                    + " CASE WHEN media.blob.unreferenced_since IS NULL THEN NULL ELSE now() END"
                    + " RETURNING (xmax <> 0)")
            .setParameter(1, sha256)
            .setParameter(2, size)
            .getSingleResult();
    return Boolean.TRUE.equals(existed);
  }

  /**
   * The transaction-scoped advisory lock of one content: serialises {@link #reserve} with the
   * orphan sweep, which has no row to lock.
   */
  public void lockContent(String sha256) {
    getEntityManager()
        .createNativeQuery("SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))")
        .setParameter(1, contentLockKey(sha256))
        .getSingleResult();
  }

  /** The key of a content's advisory lock ({@code hashtextextended(key, 0)}). */
  public static String contentLockKey(String sha256) {
    return "media-blob:" + sha256;
  }

  /** Which of these hashes have a row (not locked). */
  public java.util.Set<String> existing(java.util.Collection<String> sha256s) {
    if (sha256s.isEmpty()) {
      return java.util.Set.of();
    }
    return new java.util.HashSet<>(
        getEntityManager()
            .createQuery("select b.sha256 from BlobEntry b where b.sha256 in ?1", String.class)
            .setParameter(1, sha256s)
            .getResultList());
  }

  /** The row, locked for update until the transaction ends. */
  public Optional<BlobEntry> lock(String sha256) {
    return find("sha256", sha256).withLock(LockModeType.PESSIMISTIC_WRITE).firstResultOptional();
  }

  /**
   * Content unreferenced since before the cutoff, oldest first, without those waiting for a retry
   * after a failed collection (not locked).
   */
  public List<String> collectable(Instant cutoff, int limit) {
    return getEntityManager()
        .createQuery(
            "select b.sha256 from BlobEntry b where b.unreferencedSince < ?1"
                + " and (b.gcRetryAt is null or b.gcRetryAt < ?2)"
                + " order by b.unreferencedSince",
            String.class)
        .setParameter(1, cutoff)
        .setParameter(2, Instant.now())
        .setMaxResults(limit)
        .getResultList();
  }
}
