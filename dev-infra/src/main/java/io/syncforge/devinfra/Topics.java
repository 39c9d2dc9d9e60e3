package io.syncforge.devinfra;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses topic lists written as {@code name:partitions,name:partitions}. */
public final class Topics {

  private Topics() {}

  /**
   * Parses {@code "sync.mutations:12,sync.changes:1"}; a name without a count gets 1 partition.
   *
   * @throws IllegalArgumentException on a bad entry, naming it
   */
  public static Map<String, Integer> parse(String spec) {
    Map<String, Integer> topics = new LinkedHashMap<>();
    for (String entry : spec.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int colon = e.lastIndexOf(':');
      String name = colon < 0 ? e : e.substring(0, colon);
      int partitions;
      try {
        partitions = colon < 0 ? 1 : Integer.parseInt(e.substring(colon + 1));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("bad topic entry '" + e + "': count is not a number");
      }
      if (!name.matches("[A-Za-z0-9._-]{1,249}") || partitions < 1 || partitions > 10_000) {
        throw new IllegalArgumentException("bad topic entry '" + e + "'");
      }
      topics.put(name, partitions);
    }
    return topics;
  }
}
