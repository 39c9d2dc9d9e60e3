package io.syncforge.media.tus;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Uploads in progress, always looked up by tenant and user. */
@ApplicationScoped
public class ResumableUploadRepository implements PanacheRepositoryBase<ResumableUpload, UUID> {

  /** The caller's upload, if it exists and is theirs. */
  public Optional<ResumableUpload> findOwn(UUID id, String tenant, String user) {
    return find("id = ?1 and tenant = ?2 and userId = ?3", id, tenant, user).firstResultOptional();
  }

  /** Uploads idle past their expiry. */
  public List<ResumableUpload> expired(Instant now, int limit) {
    return find("expiresAt < ?1 order by expiresAt", now).page(0, limit).list();
  }
}
