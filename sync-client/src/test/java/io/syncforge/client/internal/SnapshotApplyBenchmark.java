package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Json;
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
  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final String[] WORDS =
      "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
          .split(" ");

  @Test
  void firstSyncStoreShare() throws Exception {
    int n = Integer.getInteger("bench.records", 100_000);
    int pageSize = 5_000;
    List<SnapshotPage> pages = pages(n, pageSize);
    // The pages as the server sends them (bytes), so the client's parsing is measured too.
    List<byte[]> bodies = new ArrayList<>();
    for (SnapshotPage p : pages) {
      bodies.add(MAPPER.writeValueAsBytes(p));
    }
    for (int round = 0; round < 2; round++) { // round 0 warms the JIT
      Path dir = Files.createTempDirectory("snapbench");
      long raw = raw(dir.resolve("raw.db"), pages);
      long[] tree = apply(dir.resolve("tree.db"), bodies, true);
      long[] stream = apply(dir.resolve("stream.db"), bodies, false);
      System.out.printf(
          "BENCH round %d: %d records; parse + LocalStore.applySnapshotPage: streaming reader"
              + " %.0f ms (%.0f records/s, heap growth peak %d MiB), tree reader (before)"
              + " %.0f ms (heap growth peak %d MiB); raw SQLite batched insert %.0f ms;"
              + " ratio streaming/raw %.2f, tree/raw %.2f%n",
          round,
          n,
          stream[0] / 1e6,
          n / (stream[0] / 1e9),
          stream[1] >> 20,
          tree[0] / 1e6,
          tree[1] >> 20,
          raw / 1e6,
          (double) stream[0] / raw,
          (double) tree[0] / raw);
    }
  }

  /** Parses and applies every page; returns {nanos, peak heap growth bytes}. */
  private static long[] apply(Path db, List<byte[]> bodies, boolean tree) throws Exception {
    System.gc();
    long heapBefore = usedHeap();
    long peak = heapBefore;
    long t0 = System.nanoTime();
    try (LocalStore store = new LocalStore(db, MAPPER, Clock.systemUTC())) {
      long gen = store.beginSnapshot();
      for (int i = 0; i < bodies.size(); i++) {
        boolean last = i == bodies.size() - 1;
        if (tree) {
          SnapshotPage page = MAPPER.readValue(bodies.get(i), SnapshotPage.class);
          store.applySnapshotPage(page, gen, last, List.of(), "k");
        } else {
          store.applySnapshotPage(
              SnapshotPageReader.read(bodies.get(i)), gen, last, List.of(), "k");
        }
        peak = Math.max(peak, usedHeap());
      }
    }
    return new long[] {System.nanoTime() - t0, peak - heapBefore};
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
