package io.syncforge.media;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/** Queries on {@link MediaObject}; every one is scoped by tenant except the reference count. */
@ApplicationScoped
public class MediaObjectRepository implements PanacheRepository<MediaObject> {

  /** This tenant's metadata for a content, if it has any. */
  public Optional<MediaObject> findByTenantAndSha(String tenant, String sha256) {
    return find("tenant = ?1 and sha256 = ?2", tenant, sha256).firstResultOptional();
  }

  /** Bytes of distinct content the tenant holds (its quota use). */
  public long bytesOf(String tenant) {
    return getEntityManager()
        .createQuery(
            "select coalesce(sum(o.size), 0) from MediaObject o where o.tenant = ?1", Long.class)
        .setParameter(1, tenant)
        .getSingleResult();
  }

  /** Whether any tenant still references the content. */
  public boolean isReferenced(String sha256) {
    return count("sha256", sha256) > 0;
  }
}
