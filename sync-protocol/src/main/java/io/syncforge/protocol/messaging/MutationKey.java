package io.syncforge.protocol.messaging;

/**
 * The Kafka key of a mutation: {@code tenant/collection/recordId}. All mutations of one record hit
 * one partition, so they are applied in order by one writer. Ids never contain {@code /}, so the
 * key is unambiguous.
 */
public final class MutationKey {
  private MutationKey() {}

  /**
   * The key for a record.
   *
   * @throws IllegalArgumentException if a part is null, empty or contains {@code /}
   */
  public static String of(String tenant, String collection, String recordId) {
    return check("tenant", tenant)
        + "/"
        + check("collection", collection)
        + "/"
        + check("recordId", recordId);
  }

  private static String check(String name, String part) {
    if (part == null || part.isEmpty() || part.indexOf('/') >= 0) {
      throw new IllegalArgumentException(name + " must be non-empty without '/': " + part);
    }
    return part;
  }
}
