package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a mutation does to a record. JSON: {@code "upsert" | "patch" | "delete"}. */
public enum Op {
  /** Create the record or replace its whole data object. */
  UPSERT("upsert"),
  /** Change only the fields present in {@code data}; other fields keep their server values. */
  PATCH("patch"),
  /** Delete the record (the change log keeps a tombstone). */
  DELETE("delete");

  private final String wire;

  Op(String wire) {
    this.wire = wire;
  }

  /** The JSON name. */
  @JsonValue
  public String wire() {
    return wire;
  }

  /**
   * Parses the JSON name.
   *
   * @throws IllegalArgumentException for an unknown or null value
   */
  @JsonCreator
  public static Op fromString(String value) {
    for (Op op : values()) {
      if (op.wire.equals(value)) {
        return op;
      }
    }
    throw new IllegalArgumentException(
        "unknown op '" + value + "', expected one of upsert, patch, delete");
  }

  @Override
  public String toString() {
    return wire;
  }
}
