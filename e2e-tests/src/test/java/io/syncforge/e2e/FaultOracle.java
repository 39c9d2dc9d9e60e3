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

  /** A fresh tenant's write, pushed directly to sync-api, until final; returns the time taken. */
  static long writerAlive(LocalStack stack, String tenant, long timeoutMs) {
    long t0 = System.currentTimeMillis();
    try (Device probe = new Device(stack, tenant, "probe")) {
      probe.client.collection(Fleet.COLLECTION).put("alive", Map.of("ok", true));
      while (System.currentTimeMillis() - t0 < timeoutMs) {
        var r = probe.client.sync();
        if (r instanceof io.syncforge.client.SyncResult.Success s && s.stillPending() == 0) {
          return System.currentTimeMillis() - t0;
        }
        Device.sleep(100);
      }
    }
    throw new AssertionError("writer not alive: " + tenant + "'s write not final in " + timeoutMs);
  }
}
