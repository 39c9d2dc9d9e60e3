package io.syncforge.load;

import io.syncforge.client.SyncRecord;
import io.syncforge.devinfra.ConvergenceOracle;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The load run's view of dev-infra's {@link ConvergenceOracle} (the same oracle as the fault
 * campaign's): a mutation is owed an outcome once some push of it was answered {@code 200}; the
 * fleet's devices are compared on the collections {@code notes} and {@code tasks}.
 */
final class Oracle {

  static final Set<String> COLLECTIONS = Set.of("notes", "tasks");

  private final ConvergenceOracle oracle;

  Oracle(String jdbc) {
    this.oracle = new ConvergenceOracle(jdbc);
  }

  /** Waits (at most {@code waitSeconds}) for owed outcomes, then checks the tenant. */
  ConvergenceOracle.Verdict check(
      String tenant, Map<Ledger.Key, Ledger.Entry> sent, int waitSeconds) throws Exception {
    ConvergenceOracle.Verdict v = oracle.check(tenant, sent(sent), Duration.ofSeconds(waitSeconds));
    v.counts.put(
        "resends", sent.values().stream().mapToLong(e -> Math.max(0, e.pushes.get() - 1)).sum());
    return v;
  }

  /**
   * Waits at most {@code seconds} until every owed outcome exists; returns how many are missing.
   */
  long awaitOutcomes(String tenant, Map<Ledger.Key, Ledger.Entry> sent, int seconds)
      throws Exception {
    return oracle.awaitOutcomes(tenant, sent(sent), Duration.ofSeconds(seconds));
  }

  /** Devices that differ from the server (at most {@code max} lines each); empty = converged. */
  List<String> deviceDiffs(String tenant, List<FleetDevice> devices, int max) throws SQLException {
    List<ConvergenceOracle.DeviceView> views = new ArrayList<>();
    for (FleetDevice d : devices) {
      Map<String, ConvergenceOracle.LocalRecord> local = new HashMap<>();
      for (String col : COLLECTIONS) {
        for (SyncRecord r : d.client.collection(col).list()) {
          local.put(col + "/" + r.id(), new ConvergenceOracle.LocalRecord(r.version(), r.data()));
        }
      }
      views.add(new ConvergenceOracle.DeviceView(d.name, d.client.status().pendingCount(), local));
    }
    return oracle.deviceDiffs(tenant, COLLECTIONS, views, max);
  }

  private static List<ConvergenceOracle.Sent> sent(Map<Ledger.Key, Ledger.Entry> sent) {
    List<ConvergenceOracle.Sent> l = new ArrayList<>(sent.size());
    sent.forEach(
        (k, e) ->
            l.add(new ConvergenceOracle.Sent(k.clientId(), k.mutationId(), e.acknowledged.get())));
    return l;
  }
}
