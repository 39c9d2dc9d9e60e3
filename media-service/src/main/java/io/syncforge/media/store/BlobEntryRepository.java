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
   * Creates the row or marks it referenced again, and holds its lock until the transaction ends. A
   * GC that locked the row first finishes (and deletes it) before this returns; PostgreSQL then
   * inserts a fresh row, and the caller writes the file again.
   */
  public void referenceAndLock(String sha256, long size) {
    getEntityManager()
        .createNativeQuery(
            "INSERT INTO media.blob (sha256, size, created_at, unreferenced_since)"
                + " VALUES (?1, ?2, now(), NULL)"
                + " ON CONFLICT (sha256) DO UPDATE SET unreferenced_since = NULL")
        .setParameter(1, sha256)
        .setParameter(2, size)
        .executeUpdate();
  }

  /** The row, locked for update until the transaction ends. */
  public Optional<BlobEntry> lock(String sha256) {
    return find("sha256", sha256).withLock(LockModeType.PESSIMISTIC_WRITE).firstResultOptional();
  }

  /** Content unreferenced since before the cutoff, oldest first (not locked). */
  public List<String> collectable(Instant cutoff, int limit) {
    return getEntityManager()
        .createQuery(
            "select b.sha256 from BlobEntry b where b.unreferencedSince < ?1"
                + " order by b.unreferencedSince",
            String.class)
        .setParameter(1, cutoff)
        .setMaxResults(limit)
        .getResultList();
  }
}
