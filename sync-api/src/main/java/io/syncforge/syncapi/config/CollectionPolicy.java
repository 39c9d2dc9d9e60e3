package io.syncforge.syncapi.config;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.ValidationException;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Which collections exist for devices ({@code sync.api.collections}), and the pull filter. */
@ApplicationScoped
public class CollectionPolicy {

  private final Set<String> allowed;

  CollectionPolicy(SyncApiConfig config) {
    this.allowed = Set.copyOf(config.collections().orElse(List.of()));
  }

  /**
   * True if devices may write {@code collection}, a well-formed application collection name: any
   * name when the allow-list is empty.
   */
  public boolean known(String collection) {
    return allowed.isEmpty() || allowed.contains(collection);
  }

  /**
   * Parses a {@code collections} query parameter (comma-separated). Returns the sorted, distinct
   * names, or null for "all" (absent or empty). System collections such as {@code _media} may be
   * read.
   *
   * @throws ProblemException 400 for a malformed name, 422 for an unknown one
   */
  public List<String> filter(String param) {
    if (param == null || param.isBlank()) {
      return null;
    }
    TreeSet<String> names = new TreeSet<>();
    for (String raw : param.split(",", -1)) {
      String name = raw.trim();
      try {
        Ids.validateCollection(name, "collections", true);
      } catch (ValidationException e) {
        if (e.code() == ErrorCode.UNKNOWN_COLLECTION) {
          throw new ProblemException(
              ErrorCode.UNKNOWN_COLLECTION, "unknown collection '" + name + "'");
        }
        throw new ProblemException(
            ErrorCode.INVALID_REQUEST,
            "invalid collections parameter",
            List.of(new FieldError("collections", "'" + name + "': " + e.reason())));
      }
      if (!Ids.isSystemCollection(name) && !known(name)) {
        throw new ProblemException(
            ErrorCode.UNKNOWN_COLLECTION, "unknown collection '" + name + "'");
      }
      names.add(name);
    }
    return List.copyOf(names);
  }
}
