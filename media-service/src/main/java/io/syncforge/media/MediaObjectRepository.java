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

  /** Whether any tenant still references the content. */
  public boolean isReferenced(String sha256) {
    return count("sha256", sha256) > 0;
  }
}
