package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The state of one pushed mutation. JSON: lower-case name. */
public enum OutcomeStatus {
  /** Applied as sent, no conflicting field. */
  APPLIED("applied"),
  /** Applied, and at least one field conflicted and was settled by the collection's policy. */
  MERGED("merged"),
  /** Not applied at all; {@code error} says why. Retrying the same mutation will not help. */
  REJECTED("rejected"),
  /** Durable in the log but not applied yet; the final outcome arrives as a pull receipt. */
  PENDING("pending");

  private final String wire;

  OutcomeStatus(String wire) {
    this.wire = wire;
  }

  /** The JSON name. */
  @JsonValue
  public String wire() {
    return wire;
  }

  /** True when the outcome will never change, so a client may drop the mutation from its queue. */
  public boolean isFinal() {
    return this != PENDING;
  }

  /**
   * Parses the JSON name.
   *
   * @throws IllegalArgumentException for an unknown or null value
   */
  @JsonCreator
  public static OutcomeStatus fromString(String value) {
    for (OutcomeStatus s : values()) {
      if (s.wire.equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown outcome status '"
            + value
            + "', expected one of applied, merged, rejected, pending");
  }

  @Override
  public String toString() {
    return wire;
  }
}
