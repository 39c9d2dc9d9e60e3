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

  /** The oldest entries. */
  public List<OutboxEntry> oldest(int limit) {
    return find("order by id").page(0, limit).list();
  }
}
