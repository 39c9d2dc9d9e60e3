package io.syncforge.syncapi.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.syncforge.changelog.store.LogReader.Entry;
import io.syncforge.protocol.Change;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PullReaderTest {

  private static Entry e(int p, long offset, String collection, String id, long version) {
    return new Entry(p, offset, new Change(collection, id, version, false, null, Instant.EPOCH));
  }

  @Test
  void onlyTheNewestVersionOfARecordStaysInLogOrder() {
    List<Change> out =
        PullReader.newestOnly(
            List.of(
                e(0, 1, "tasks", "a", 1),
                e(0, 2, "tasks", "b", 1),
                e(0, 3, "tasks", "a", 2),
                e(1, 1, "notes", "a", 7),
                e(0, 4, "tasks", "a", 3)));
    assertEquals(
        List.of("tasks/b/1", "notes/a/7", "tasks/a/3"),
        out.stream().map(c -> c.collection() + "/" + c.recordId() + "/" + c.version()).toList());
  }
}
