package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.syncforge.client.SyncRecord;
import io.syncforge.devinfra.ConvergenceOracle;
import io.syncforge.devinfra.LocalStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The campaign's oracle, run after each fault once the fleet has settled: dev-infra's {@link
 * ConvergenceOracle} (nothing lost, nothing doubled, no cursor skipped a change: a full log read
 * against the records table and every device's local state), asserted clean, plus "the writer
 * alive" (a fresh tenant's write final within seconds, {@link #writerAlive}).
 */
final class FaultOracle {

  /** What one check counted. */
  record Counts(
      long mutations,
      long applied,
      long merged,
      long rejected,
      long noOps,
      long changeLogRows,
      long liveRecords) {}

  private FaultOracle() {}

  static Counts check(LocalStack stack, Fleet fleet) throws Exception {
    ConvergenceOracle oracle = new ConvergenceOracle(stack.jdbcUrl());
    // Every mutation a device queued is owed an outcome: the fleet has settled.
    ConvergenceOracle.Verdict v =
        oracle.check(fleet.tenant, fleet.sent.values(), Duration.ZERO).assertClean();
    List<ConvergenceOracle.DeviceView> views = new ArrayList<>();
    for (Device d : fleet.devices) {
      Map<String, ConvergenceOracle.LocalRecord> local = new HashMap<>();
      for (SyncRecord r : d.client.collection(Fleet.COLLECTION).list()) {
        local.put(
            Fleet.COLLECTION + "/" + r.id(),
            new ConvergenceOracle.LocalRecord(r.version(), r.data()));
      }
      views.add(new ConvergenceOracle.DeviceView(d.name, d.client.status().pendingCount(), local));
    }
    List<String> diffs = oracle.deviceDiffs(fleet.tenant, Set.of(Fleet.COLLECTION), views, 10);
    assertEquals(List.of(), diffs, fleet.tenant + ": devices diverged from the server");
    return new Counts(
        v.count("mutations sent"),
        v.count("outcome applied"),
        v.count("outcome merged"),
        v.count("outcome rejected"),
        v.count("applied without a change (no-op)"),
        v.count("change-log rows"),
        v.count("live records"));
  }

  /** How long a writer behind a backlog may take in all while it keeps applying. */
  private static final long BACKLOG_CAP_MS = 15 * 60_000;

  /**
   * A fresh tenant's write, pushed through sync-api, until final; returns the time taken. Final
   * within {@code timeoutMs}, or, when the writer is behind a backlog (its partition positions
   * moved during the last {@code timeoutMs}: it applies, the fresh write waits its turn in its
   * partition), as long as it keeps moving, at most {@value #BACKLOG_CAP_MS} ms. A window of {@code
   * timeoutMs} without any progress is a wedge and fails.
   */
  static long writerAlive(LocalStack stack, String tenant, long timeoutMs) {
    long t0 = System.currentTimeMillis();
    long windowStart = t0;
    long positionsAtWindow = positions(stack);
    try (Device probe = new Device(stack, tenant, "probe")) {
      probe.client.collection(Fleet.COLLECTION).put("alive", Map.of("ok", true));
      while (true) {
        var r = probe.client.sync();
        long now = System.currentTimeMillis();
        if (r instanceof io.syncforge.client.SyncResult.Success s && s.stillPending() == 0) {
          return now - t0;
        }
        if (now - windowStart >= timeoutMs) {
          long p = positions(stack);
          if (p == positionsAtWindow || now - t0 >= BACKLOG_CAP_MS) {
            throw new AssertionError(
                "writer not alive: "
                    + tenant
                    + "'s write not final after "
                    + (now - t0)
                    + " ms; the writer's positions moved by "
                    + (p - positionsAtWindow)
                    + " in the last "
                    + (now - windowStart)
                    + " ms");
          }
          System.out.printf(
              "writerAlive %s: not final after %d ms, the writer is behind a backlog (%,d"
                  + " offsets applied in the last %d ms); waiting on%n",
              tenant, now - t0, p - positionsAtWindow, now - windowStart);
          windowStart = now;
          positionsAtWindow = p;
        }
        Device.sleep(100);
      }
    }
  }

  /** The sum of the writer's stored partition positions (they move only with applied data). */
  private static long positions(LocalStack stack) {
    try (var c = java.sql.DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        var rs =
            c.createStatement()
                .executeQuery("SELECT coalesce(sum(next_offset), 0) FROM partition_positions")) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      // PostgreSQL itself may be the fault under test: no reading = no progress seen.
      return -1;
    }
  }
}
