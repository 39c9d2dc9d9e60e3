package io.syncforge.media.outbox;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** The outbox queue, in insertion (= commit intent) order. */
@ApplicationScoped
public class OutboxRepository implements PanacheRepository<OutboxEntry> {

  /** Any fixed number; identifies the outbox drain among PostgreSQL advisory locks. */
  private static final long DRAIN_LOCK = 0x6d65646961L; // "media"

  /**
   * Takes the cluster-wide drain lock for this transaction, or returns false if another replica
   * holds it. One drainer at a time keeps the send order equal to the outbox order, so an upsert
   * and the delete after it reach their partition in that order.
   */
  public boolean tryDrainLock() {
    Object locked =
        getEntityManager()
            .createNativeQuery("SELECT pg_try_advisory_xact_lock(?1)")
            .setParameter(1, DRAIN_LOCK)
            .getSingleResult();
    return Boolean.TRUE.equals(locked);
  }

  /**
   * The oldest sendable entries: per key only the first (so a key's records keep their order even
   * when one is refused and retried later), and not one waiting for its retry time.
   */
  @SuppressWarnings("unchecked")
  public List<OutboxEntry> oldest(int limit) {
    return getEntityManager()
        .createNativeQuery(
            "SELECT o.* FROM media.outbox o"
                + " WHERE (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())"
                + " AND NOT EXISTS (SELECT 1 FROM media.outbox p"
                + " WHERE p.message_key = o.message_key AND p.id < o.id)"
                + " ORDER BY o.id LIMIT ?1",
            OutboxEntry.class)
        .setParameter(1, limit)
        .getResultList();
  }
}
