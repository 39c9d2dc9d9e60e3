package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.client.SyncRecord;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Op;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage seam and the chunked snapshot apply. */
class StoreSplitTest {
  static final ObjectMapper MAPPER = Json.newMapper();
  @TempDir Path dir;

  /** A driver that delegates to xerial and counts what goes through the seam. */
  static final class CountingDriver implements SqlDriver {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger statements = new AtomicInteger();
    final AtomicInteger commits = new AtomicInteger();
    private final SqlDriver real = new JdbcSqlDriver();

    @Override
    public Connection open(Path file, boolean readOnly) {
      opens.incrementAndGet();
      Connection c = real.open(file, readOnly);
      return new Connection() {
        @Override
        public void execute(String sql) {
          statements.incrementAndGet();
          c.execute(sql);
        }

        @Override
        public int update(String sql, Object... args) {
          statements.incrementAndGet();
          return c.update(sql, args);
        }

        @Override
        public <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
          statements.incrementAndGet();
          return c.query(sql, mapper, args);
        }

        @Override
        public void begin() {
          c.begin();
        }

        @Override
        public void commit() {
          commits.incrementAndGet();
          c.commit();
        }

        @Override
        public void rollback() {
          c.rollback();
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }
  }

  @Test
  void everyStatementGoesThroughThePluggableDriverAndMigrationsAreVersioned() {
    CountingDriver driver = new CountingDriver();
    Path file = dir.resolve("seam.db");
    try (LocalStore store = new LocalStore(driver, file, MAPPER, Clock.systemUTC())) {
      assertEquals(Migrations.latest(), store.schemaVersion());
      assertEquals("wal", store.journalMode());
      store.write("tasks", "t-1", Op.UPSERT, MAPPER.createObjectNode().put("a", 1));
      assertEquals(1, store.get("tasks", "t-1").orElseThrow().data().get("a").asInt());
      store.mediaAttached("ab".repeat(32), 3, "text/plain", "x.txt");
      assertEquals(1, store.mediaUploads().size());
      store.setMeta("k", "v");
      assertEquals("v", store.meta("k").orElseThrow());
    }
    assertEquals(2, driver.opens.get(), "one writer, one reader");
    assertTrue(driver.statements.get() > 10, "statements: " + driver.statements.get());
    // Reopening migrates nothing and keeps the data.
    try (LocalStore again = new LocalStore(driver, file, MAPPER, Clock.systemUTC())) {
      assertEquals(Migrations.latest(), again.schemaVersion());
      assertEquals(1, again.pendingCount());
    }
  }

  @Test
  void aSnapshotPageLargerThanAChunkCommitsPerChunkAndKeepsPendingEditsOnTop() {
    CountingDriver driver = new CountingDriver();
    try (LocalStore store =
        new LocalStore(driver, dir.resolve("chunks.db"), MAPPER, Clock.systemUTC())) {
      // Two records exist locally, one with a queued patch.
      store.write("tasks", "r-00010", Op.UPSERT, MAPPER.createObjectNode().put("v", "local"));
      store.write("tasks", "r-02000", Op.UPSERT, MAPPER.createObjectNode().put("v", "mine"));
      store.applyOutcomes(List.of()); // nothing settled: both stay queued
      int n = LocalStore.SNAPSHOT_CHUNK * 2 + 17;
      List<SnapshotPageReader.RawRecord> records = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        records.add(
            new SnapshotPageReader.RawRecord(
                "tasks", String.format("r-%05d", i), 5, false, "{\"v\":\"server " + i + "\"}"));
      }
      long gen = store.beginSnapshot();
      int commitsBefore = driver.commits.get();
      LocalStore.Effects fx =
          store.applySnapshotPage(
              new SnapshotPageReader.RawPage(records, null, "cur", (long) n),
              gen,
              true,
              List.of(),
              "k");
      assertEquals(3, driver.commits.get() - commitsBefore, "one transaction per chunk");
      assertEquals(n, fx.applied);
      assertEquals(n, store.list("tasks").size());
      assertEquals("cur", store.meta(LocalStore.META_CURSOR).orElseThrow());
      assertFalse(store.meta(LocalStore.META_NEEDS_SNAPSHOT).isPresent());
      // The queued upserts still show on top of the snapshot's server state.
      assertEquals("local", data(store.get("tasks", "r-00010").orElseThrow()).get("v").asText());
      assertEquals("mine", data(store.get("tasks", "r-02000").orElseThrow()).get("v").asText());
      assertEquals(
          "server 11", data(store.get("tasks", "r-00011").orElseThrow()).get("v").asText());
      assertEquals(n, store.countSnapGen(gen));
    }
  }

  private static ObjectNode data(SyncRecord r) {
    return r.data();
  }
}
