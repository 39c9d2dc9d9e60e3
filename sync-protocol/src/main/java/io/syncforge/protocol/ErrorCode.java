package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * The stable error codes of all SyncForge services, each with the HTTP status it maps to. The wire
 * string appears as {@code code} in a problem body and in a rejected outcome's {@code error}.
 */
public enum ErrorCode {
  /** The request is malformed: bad JSON, a missing or invalid field, an invalid id. */
  INVALID_REQUEST("invalid_request", 400, "Invalid request"),
  /** No bearer token, or the token is invalid or expired. Re-authenticate; do not retry as is. */
  UNAUTHORIZED("unauthorized", 401, "Unauthorized"),
  /** Authenticated but not allowed (for example an admin endpoint without {@code sync-admin}). */
  FORBIDDEN("forbidden", 403, "Forbidden"),
  /** The resource (a media object, a record) does not exist for this tenant. */
  NOT_FOUND("not_found", 404, "Not found"),
  /** The request conflicts with the current state (for example a patch of a deleted record). */
  CONFLICT("conflict", 409, "Conflict"),
  /** The body, a record or the number of mutations exceeds a limit in {@link Limits}. */
  PAYLOAD_TOO_LARGE("payload_too_large", 413, "Payload too large"),
  /** The {@code Content-Type} is not accepted by this endpoint. */
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415, "Unsupported media type"),
  /** The cursor or page token is not one this server issued (malformed, truncated, tampered). */
  CURSOR_INVALID("cursor_invalid", 400, "Invalid cursor"),
  /** The cursor is older than the retention horizon. Reset from a snapshot. */
  CURSOR_EXPIRED("cursor_expired", 410, "Cursor expired"),
  /** The collections filter differs from the cursor's. Reset from a snapshot. */
  SCOPE_CHANGED("scope_changed", 410, "Scope changed"),
  /** The log epoch or partition count changed. Reset from a snapshot. */
  LOG_EPOCH_CHANGED("log_epoch_changed", 410, "Log epoch changed"),
  /**
   * The request names a well-formed collection the server does not know. 422, not 400: the syntax
   * is fine, the referenced thing is missing (same reasoning as {@link #HASH_MISMATCH}).
   */
  UNKNOWN_COLLECTION("unknown_collection", 422, "Unknown collection"),
  /** The uploaded bytes do not hash to the declared {@code X-Content-SHA256}. */
  HASH_MISMATCH("hash_mismatch", 422, "Hash mismatch"),
  /** The {@code Range} header lies outside the media object. */
  RANGE_NOT_SATISFIABLE("range_not_satisfiable", 416, "Range not satisfiable"),
  /** Rate limit hit. Retry after the {@code Retry-After} header, with backoff. */
  TOO_MANY_REQUESTS("too_many_requests", 429, "Too many requests"),
  /** A dependency (Kafka, PostgreSQL, storage) is unavailable. Retry with backoff. */
  UNAVAILABLE("unavailable", 503, "Service unavailable"),
  /** An unexpected server error. Details are in the server log under {@code traceId}. */
  INTERNAL("internal", 500, "Internal error"),

  // --- Issue 11: final rejections by the writer (outcome error codes, never retried as is). ---
  /**
   * PostgreSQL refused to store the mutation's data (for example {@code \u0000} in a string value
   * or a field name, or a number outside its range). Remedy: fix the value on the device and send
   * it as a new mutation; resending the same mutationId returns the same receipt.
   */
  UNSTORABLE_VALUE("unstorable_value", 422, "Unstorable value"),
  /**
   * The record after this mutation (a patch merged into the stored record) would exceed the record
   * size limit. Remedy: remove fields or move large content to media, then send a new mutation.
   */
  RECORD_TOO_LARGE("record_too_large", 413, "Record too large"),
  /**
   * The writer failed on this one mutation for a reason the rules did not foresee; it was isolated,
   * dead-lettered and counted so that every other mutation goes on. Remedy: report it with the
   * mutationId (the operator finds it in the dead-letter topic); do not resend unchanged.
   */
  INTERNAL_REJECTION("internal_rejection", 500, "Internal rejection"),

  // --- issue 14 (media-service) ---
  /** The tenant's media storage quota cannot take this content. Delete media or ask for more. */
  QUOTA_EXCEEDED("quota_exceeded", 507, "Insufficient storage"),
  /**
   * The upload sent too little for too long (below the minimum transfer rate or idle past the
   * timeout) and was ended; nothing was kept. Resume (tus) or send again.
   */
  UPLOAD_TOO_SLOW("upload_too_slow", 408, "Request timeout"),
  /** A tus {@code Upload-Offset} differs from the server's offset. {@code HEAD} the upload. */
  UPLOAD_OFFSET_MISMATCH("upload_offset_mismatch", 409, "Conflict");

  /** Prefix of the problem {@code type} URI; the code is appended. */
  public static final String TYPE_PREFIX = "https://syncforge.io/problems/";

  private final String code;
  private final int status;
  private final String title;

  ErrorCode(String code, int status, String title) {
    this.code = code;
    this.status = status;
    this.title = title;
  }

  /** The wire string, e.g. {@code cursor_expired}. */
  @JsonValue
  public String code() {
    return code;
  }

  /** The HTTP status a problem with this code carries. */
  public int status() {
    return status;
  }

  /** A short human-readable summary, the problem's {@code title}. */
  public String title() {
    return title;
  }

  /** The problem {@code type} URI, {@code https://syncforge.io/problems/<code>}. */
  public String type() {
    return TYPE_PREFIX + code;
  }

  /** The reset reason for the three 410 codes, empty for all others. */
  public Optional<ResetReason> resetReason() {
    return switch (this) {
      case CURSOR_EXPIRED -> Optional.of(ResetReason.CURSOR_EXPIRED);
      case SCOPE_CHANGED -> Optional.of(ResetReason.SCOPE_CHANGED);
      case LOG_EPOCH_CHANGED -> Optional.of(ResetReason.LOG_EPOCH_CHANGED);
      default -> Optional.empty();
    };
  }

  /**
   * Parses a wire string.
   *
   * @throws IllegalArgumentException for an unknown or null value
   */
  @JsonCreator
  public static ErrorCode fromString(String value) {
    for (ErrorCode c : values()) {
      if (c.code.equals(value)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown error code '" + value + "'");
  }

  @Override
  public String toString() {
    return code;
  }
}
