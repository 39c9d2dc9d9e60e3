package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void parsesNamesAndCounts() {
    assertEquals(
        Map.of("sync.mutations", 12, "sync.changes", 1, "x", 1),
        Topics.parse("sync.mutations:12, sync.changes:1,x"));
    assertEquals(Map.of(), Topics.parse(""));
  }

  @Test
  void refusesBadEntries() {
    assertThrows(IllegalArgumentException.class, () -> Topics.parse("a:zero"));
    assertThrows(IllegalArgumentException.class, () -> Topics.parse("a:0"));
    assertThrows(IllegalArgumentException.class, () -> Topics.parse("bad name:1"));
  }
}
