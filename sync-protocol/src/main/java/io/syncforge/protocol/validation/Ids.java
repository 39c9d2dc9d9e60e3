package io.syncforge.protocol.validation;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.MediaCollection;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Id rules shared by all modules. Every check throws {@link ValidationException} with code {@code
 * invalid_request} (or {@code unknown_collection} for an unknown system collection). All patterns
 * are ASCII-only, so ids are safe in URLs, file names and Kafka keys.
 */
public final class Ids {
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  private static final Pattern COLLECTION = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  private static final Pattern RECORD_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** The reserved system collections (names starting with {@code _}) known to this version. */
  public static final Set<String> SYSTEM_COLLECTIONS = Set.of(MediaCollection.NAME);

  private Ids() {}

  /** Tenant: 1..64 of {@code [a-z0-9_-]}, starting with a letter or digit. */
  public static String validateTenant(String tenant) {
    return require(tenant, TENANT, "tenant", "1..64 of [a-z0-9_-], starting with [a-z0-9]");
  }

  /**
   * An application collection at path {@code collection}; see {@link #validateCollection(String,
   * String, boolean)}.
   */
  public static String validateCollection(String collection) {
    return validateCollection(collection, "collection", false);
  }

  /**
   * Collection: {@code [a-z][a-z0-9_]{0,62}}; with {@code allowSystem}, also a known system
   * collection such as {@code _media}. An unknown name starting with {@code _} is {@code
   * unknown_collection}, a system name without {@code allowSystem} is {@code invalid_request}.
   */
  public static String validateCollection(String collection, String path, boolean allowSystem) {
    if (collection != null && collection.startsWith("_")) {
      if (!SYSTEM_COLLECTIONS.contains(collection)) {
        throw new ValidationException(
            ErrorCode.UNKNOWN_COLLECTION, path, "unknown system collection");
      }
      if (!allowSystem) {
        throw new ValidationException(
            ErrorCode.INVALID_REQUEST, path, "system collection is not writable here");
      }
      return collection;
    }
    return require(collection, COLLECTION, path, "must match [a-z][a-z0-9_]{0,62}");
  }

  /** True for a known system collection. */
  public static boolean isSystemCollection(String collection) {
    return SYSTEM_COLLECTIONS.contains(collection);
  }

  /** Record id at path {@code recordId}. */
  public static String validateRecordId(String recordId) {
    return validateRecordId(recordId, "recordId");
  }

  /** Record id: 1..128 of {@code [A-Za-z0-9._:@-]}, and not {@code .} or {@code ..}. */
  public static String validateRecordId(String recordId, String path) {
    require(recordId, RECORD_ID, path, "1..128 of [A-Za-z0-9._:@-]");
    if (recordId.equals(".") || recordId.equals("..")) {
      throw new ValidationException(ErrorCode.INVALID_REQUEST, path, "must not be . or ..");
    }
    return recordId;
  }

  /** Client id at path {@code clientId}. */
  public static String validateClientId(String clientId) {
    return validateClientId(clientId, "clientId");
  }

  /** Client id: 1..64 of {@code [A-Za-z0-9_-]}. */
  public static String validateClientId(String clientId, String path) {
    return require(clientId, CLIENT_ID, path, "1..64 of [A-Za-z0-9_-]");
  }

  /** True for exactly 64 lower-case hex characters. */
  public static boolean isSha256Hex(String value) {
    return value != null && SHA256.matcher(value).matches();
  }

  /** SHA-256 as 64 lower-case hex characters. */
  public static String validateSha256(String value, String path) {
    return require(value, SHA256, path, "must be 64 lower-case hex characters");
  }

  private static String require(String value, Pattern pattern, String path, String rule) {
    if (value == null || value.isEmpty()) {
      throw new ValidationException(ErrorCode.INVALID_REQUEST, path, "is required");
    }
    if (!pattern.matcher(value).matches()) {
      throw new ValidationException(ErrorCode.INVALID_REQUEST, path, rule);
    }
    return value;
  }
}
