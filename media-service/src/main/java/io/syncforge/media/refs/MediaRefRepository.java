package io.syncforge.media.refs;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.time.Instant;

/**
 * The references of table {@code media.media_ref}: who of a tenant holds a content. A tenant's
 * {@code media_object} lives while it has a reference; the rows go with it ({@code ON DELETE
 * CASCADE}). Callers hold the blob row lock, so counts and deletes here do not race.
 */
@ApplicationScoped
public class MediaRefRepository {

  /** The holder of a user's own reference. */
  public static String userHolder(String user) {
    return "user:" + user;
  }

  private final EntityManager em;

  public MediaRefRepository(EntityManager em) {
    this.em = em;
  }

  /** Adds the reference; returns whether it is new. */
  public boolean add(String tenant, String sha256, String holder, Instant now) {
    return em.createNativeQuery(
                "INSERT INTO media.media_ref (tenant, sha256, holder, created_at)"
                    + " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
            .setParameter(1, tenant)
            .setParameter(2, sha256)
            .setParameter(3, holder)
            .setParameter(4, now)
            .executeUpdate()
        > 0;
  }

  /** Removes one reference; returns whether there was one. */
  public boolean remove(String tenant, String sha256, String holder) {
    return em.createNativeQuery(
                "DELETE FROM media.media_ref WHERE tenant = ?1 AND sha256 = ?2 AND holder = ?3")
            .setParameter(1, tenant)
            .setParameter(2, sha256)
            .setParameter(3, holder)
            .executeUpdate()
        > 0;
  }

  /** Removes every reference of the tenant to the content; returns how many there were. */
  public int removeAll(String tenant, String sha256) {
    return em.createNativeQuery("DELETE FROM media.media_ref WHERE tenant = ?1 AND sha256 = ?2")
        .setParameter(1, tenant)
        .setParameter(2, sha256)
        .executeUpdate();
  }

  /** How many references the tenant holds to the content. */
  public long count(String tenant, String sha256) {
    return ((Number)
            em.createNativeQuery(
                    "SELECT count(*) FROM media.media_ref WHERE tenant = ?1 AND sha256 = ?2")
                .setParameter(1, tenant)
                .setParameter(2, sha256)
                .getSingleResult())
        .longValue();
  }
}
