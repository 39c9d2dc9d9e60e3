package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.SnapshotPage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 first-sync store share: applies 100,000 snapshot records of ~300 B (pages of 5,000) to
 * an empty LocalStore and, in the same run, the raw SQLite reference (one batched INSERT of the
 * same rows per page, no client logic). Prints numbers; asserts nothing about time. Run with {@code
 * ./mvnw -B -ntp -pl sync-client -am verify -Dtest=SnapshotApplyBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code -Dbench.records=N} to resize).
 */
class SnapshotApplyBenchmark {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] WORDS =
      "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
          .split(" ");

  @Test
  void firstSyncStoreShare() throws Exception {
    int n = Integer.getInteger("bench.records", 100_000);
    int pageSize = 5_000;
    List<SnapshotPage> pages = pages(n, pageSize);
    for (int round = 0; round < 2; round++) { // round 0 warms the JIT
      Path dir = Files.createTempDirectory("snapbench");
      long raw = raw(dir.resolve("raw.db"), pages);
      System.gc();
      long heapBefore = usedHeap();
      long t0 = System.nanoTime();
      long peak;
      try (LocalStore store = new LocalStore(dir.resolve("s.db"), MAPPER, Clock.systemUTC())) {
        long gen = store.beginSnapshot();
        peak = usedHeap();
        for (int i = 0; i < pages.size(); i++) {
          store.applySnapshotPage(pages.get(i), gen, i == pages.size() - 1, List.of(), "k");
          peak = Math.max(peak, usedHeap());
        }
      }
      long client = System.nanoTime() - t0;
      System.out.printf(
          "BENCH round %d: %d records, LocalStore.applySnapshotPage %.0f ms (%.0f records/s);"
              + " raw SQLite batched insert %.0f ms; ratio %.2f; heap growth peak %d MiB%n",
          round,
          n,
          client / 1e6,
          n / (client / 1e9),
          raw / 1e6,
          (double) client / raw,
          (peak - heapBefore) >> 20);
    }
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  private static long raw(Path db, List<SnapshotPage> pages) throws Exception {
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=NORMAL");
        s.execute(
            "CREATE TABLE records (collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT,"
                + " server_version INTEGER, PRIMARY KEY (collection, id))");
      }
      c.setAutoCommit(false);
      try (PreparedStatement p = c.prepareStatement("INSERT INTO records VALUES (?, ?, ?, ?)")) {
        for (SnapshotPage page : pages) {
          for (Change ch : page.records()) {
            p.setString(1, ch.collection());
            p.setString(2, ch.recordId());
            p.setString(3, MAPPER.writeValueAsString(ch.data()));
            p.setLong(4, ch.version());
            p.addBatch();
          }
          p.executeBatch();
          c.commit();
        }
      }
    }
    return System.nanoTime() - t0;
  }

  private static List<SnapshotPage> pages(int n, int pageSize) {
    Random rnd = new Random(42);
    List<SnapshotPage> pages = new ArrayList<>();
    Instant now = Instant.now();
    for (int start = 0; start < n; start += pageSize) {
      List<Change> recs = new ArrayList<>();
      for (int i = start; i < Math.min(n, start + pageSize); i++) {
        ObjectNode d = MAPPER.createObjectNode();
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 220) {
          sb.append(WORDS[rnd.nextInt(WORDS.length)]).append(' ');
        }
        d.put("title", "record " + i);
        d.put("body", sb.toString());
        d.put("n", rnd.nextInt(1000));
        d.put("done", rnd.nextBoolean());
        recs.add(new Change("tasks", String.format("r-%08d", i), i + 1, false, d, now));
      }
      boolean last = start + pageSize >= n;
      pages.add(new SnapshotPage(recs, last ? null : "p" + start, "c" + start));
    }
    return pages;
  }
}
