package io.syncforge.changelog.compaction;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Op;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class CompactorTest {

  @Inject Compactor compactor;

  @Test
  void compactionKeepsTheLatestStateOfEveryRecordAndRaisesTheHorizon() {
    try (LogFixture log = new LogFixture()) {
      String t = "t-compact";
      UUID v1 = UUID.randomUUID();
      UUID v2 = UUID.randomUUID();
      UUID last = UUID.randomUUID();
      UUID gone = UUID.randomUUID();
      UUID goneDelete = UUID.randomUUID();
      log.send(
          envelope(t, "c", mutation(v1, "notes", "kept", Op.UPSERT, null, "{\"v\":1}")),
          envelope(t, "c", mutation(v2, "notes", "kept", Op.PATCH, 1L, "{\"v\":2}")),
          envelope(t, "c", mutation(last, "notes", "kept", Op.PATCH, 2L, "{\"v\":3}")),
          envelope(t, "c", mutation(gone, "notes", "gone", Op.UPSERT, null, "{\"x\":1}")),
          envelope(t, "c", mutation(goneDelete, "notes", "gone", Op.DELETE, 1L, null)));
      assertEquals("applied", log.awaitOutcome(last, Duration.ofSeconds(30)));
      assertEquals("applied", log.awaitOutcome(goneDelete, Duration.ofSeconds(30)));
      assertEquals(5, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", t));

      // Nothing is old enough under the real retention.
      Compactor.Result none = compactor.compactNow();
      assertEquals(5, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", t));
      assertEquals(0, none.superseded() + none.tombstones(), none.toString());

      int partition =
          (int) log.number("SELECT log_partition FROM change_log WHERE mutation_id = ?", last);
      long v2Offset = log.number("SELECT log_offset FROM change_log WHERE mutation_id = ?", v2);
      // As if a month had passed.
      Compactor.Result r =
          compactor.compact(
              Instant.now().plus(Duration.ofDays(31)), Duration.ofDays(30), Duration.ofDays(90));
      assertTrue(r.superseded() >= 3, "v1, v2 of kept and the create of gone: " + r);
      assertTrue(r.tombstones() >= 1, r.toString());

      assertEquals(
          1, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", t), "only kept@v3");
      assertEquals("3", log.scalar("SELECT data->>'v' FROM change_log WHERE tenant = ?", t));
      assertEquals(
          3L, log.scalar("SELECT version FROM records WHERE tenant = ? AND record_id = 'kept'", t));
      assertEquals(
          0, log.count("SELECT count(*) FROM records WHERE tenant = ? AND record_id = 'gone'", t));
      long horizon =
          log.number("SELECT min_offset FROM log_horizon WHERE log_partition = ?", partition);
      // Past every removed entry of that partition, so at least past kept@v2.
      assertTrue(horizon > v2Offset, "horizon " + horizon + " must pass v2 at " + v2Offset);
      // Versions never go backwards: "gone" was purged at v2; re-created, it continues above.
      assertEquals(
          2L,
          log.scalar(
              "SELECT floor FROM version_floors WHERE tenant = ? AND collection = 'notes'", t));
      UUID again = UUID.randomUUID();
      log.send(envelope(t, "c2", mutation(again, "notes", "gone", Op.UPSERT, null, "{\"y\":1}")));
      assertEquals("applied", log.awaitOutcome(again, Duration.ofSeconds(30)));
      assertEquals(
          3L, log.scalar("SELECT version FROM mutation_outcomes WHERE mutation_id = ?", again));
      // Receipts outlive the log: they are kept 90 days.
      assertEquals(
          1, log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", v1));
    }
  }
}
