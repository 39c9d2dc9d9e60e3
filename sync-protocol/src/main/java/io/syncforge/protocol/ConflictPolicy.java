package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a field changed on both the server and the client is settled. JSON: dashed name. */
public enum ConflictPolicy {
  /** The server's current value stays (the default). */
  SERVER_WINS("server-wins"),
  /** The incoming mutation's value replaces the server's. */
  CLIENT_WINS("client-wins"),
  /**
   * The later edit wins, a tie keeps the server value. Edit times are the change-log service's (see
   * docs/sync-protocol.md, "Conflicts").
   */
  LAST_WRITER_WINS("last-writer-wins");

  private final String wire;

  ConflictPolicy(String wire) {
    this.wire = wire;
  }

  /** The JSON and configuration name. */
  @JsonValue
  public String wire() {
    return wire;
  }

  /**
   * Parses a JSON or configuration name ({@code server-wins}, {@code client-wins}, {@code
   * last-writer-wins}).
   *
   * @throws IllegalArgumentException for an unknown or null value
   */
  @JsonCreator
  public static ConflictPolicy fromString(String value) {
    for (ConflictPolicy p : values()) {
      if (p.wire.equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown conflict policy '"
            + value
            + "', expected one of server-wins, client-wins, last-writer-wins");
  }

  @Override
  public String toString() {
    return wire;
  }
}
