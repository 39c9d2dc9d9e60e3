package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a cursor can no longer be continued (HTTP 410). In every case the client re-reads server
 * state with a snapshot and keeps its pending queue.
 */
public enum ResetReason {
  /** The cursor is older than the retention horizon; the entries it needs were compacted. */
  CURSOR_EXPIRED("cursor_expired"),
  /** The {@code collections} filter differs from the one the cursor was issued for. */
  SCOPE_CHANGED("scope_changed"),
  /** The log was rebuilt or re-partitioned (another epoch or partition count). */
  LOG_EPOCH_CHANGED("log_epoch_changed");

  private final String wire;

  ResetReason(String wire) {
    this.wire = wire;
  }

  /** The JSON name. */
  @JsonValue
  public String wire() {
    return wire;
  }

  /** The error code a 410 with this reason carries. */
  public ErrorCode errorCode() {
    return switch (this) {
      case CURSOR_EXPIRED -> ErrorCode.CURSOR_EXPIRED;
      case SCOPE_CHANGED -> ErrorCode.SCOPE_CHANGED;
      case LOG_EPOCH_CHANGED -> ErrorCode.LOG_EPOCH_CHANGED;
    };
  }

  /**
   * Parses the JSON name.
   *
   * @throws IllegalArgumentException for an unknown or null value
   */
  @JsonCreator
  public static ResetReason fromString(String value) {
    for (ResetReason r : values()) {
      if (r.wire.equals(value)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown reset reason '"
            + value
            + "', expected one of cursor_expired, scope_changed, log_epoch_changed");
  }

  @Override
  public String toString() {
    return wire;
  }
}
