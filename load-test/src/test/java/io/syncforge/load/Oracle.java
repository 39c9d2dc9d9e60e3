package io.syncforge.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncforge.client.SyncRecord;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The convergence oracle, reading PostgreSQL (the change-log schema) directly:
 *
 * <ul>
 *   <li><b>lost</b>: a mutation some push of which was answered {@code 200} has no outcome (after
 *       waiting for the writer);
 *   <li><b>doubled</b>: a mutation id with more than one change-log entry;
 *   <li><b>log/outcome mismatch</b>: a change-log entry without an applied/merged outcome of the
 *       same version, a rejected mutation in the log, an applied/merged outcome whose version is in
 *       no change-log entry of its record; the change-log entries must equal the applied mutations
 *       that changed something (the others are no-ops: a delete of a deleted record, a conflict the
 *       policy settled for the server);
 *   <li><b>records vs log</b>: every record's version and state equal its newest change-log entry,
 *       versions of a record strictly rising in log order;
 *   <li><b>divergence</b>: a device with pending edits, or whose local records differ from the
 *       server's live records (data and version).
 * </ul>
 */
final class Oracle {

  private final String jdbc;

  Oracle(String jdbc) {
    this.jdbc = jdbc;
  }

  /** What one tenant's check found. */
  static final class Verdict {
    final String tenant;
    final List<String> violations = new ArrayList<>();
    final Map<String, Long> counts = new LinkedHashMap<>();
    int violationCount;

    Verdict(String tenant) {
      this.tenant = tenant;
    }

    void violation(String s) {
      violationCount++;
      if (violations.size() < 40) {
        violations.add(s);
      }
    }

    void count(String k, long n) {
      counts.merge(k, n, Long::sum);
    }
  }

  private record Outcome(
      String status, String collection, String recordId, Long version, String code) {}

  private record Change(
      int partition,
      long offset,
      String collection,
      String recordId,
      long version,
      boolean deleted,
      String data,
      UUID mutationId,
      String clientId) {}

  /**
   * Checks a tenant. Waits (at most {@code waitSeconds}) until every acknowledged mutation has an
   * outcome, then compares outcomes, log and records.
   */
  Verdict check(String tenant, Map<Ledger.Key, Ledger.Entry> sent, int waitSeconds)
      throws Exception {
    Verdict v = new Verdict(tenant);
    Map<String, Outcome> outcomes = outcomes(tenant);
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    while (missing(sent, outcomes) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      outcomes = outcomes(tenant);
    }
    v.count("mutations sent", sent.size());
    long acked = sent.values().stream().filter(e -> e.acknowledged.get()).count();
    v.count("mutations acknowledged (200)", acked);
    v.count("resends", sent.values().stream().mapToLong(e -> e.pushes.get() - 1).sum());
    for (var e : sent.entrySet()) {
      String key = key(e.getKey().clientId(), e.getKey().mutationId());
      if (!outcomes.containsKey(key)) {
        if (e.getValue().acknowledged.get()) {
          v.violation("LOST: " + key + " was acknowledged but has no outcome");
        } else {
          v.count("never acknowledged, no outcome", 1);
        }
      }
    }
    for (var e : outcomes.entrySet()) {
      v.count("outcome " + e.getValue().status(), 1);
      if (e.getValue().code() != null) {
        v.count("rejected " + e.getValue().code(), 1);
      }
      String[] p = e.getKey().split("\\|");
      if (!sent.containsKey(new Ledger.Key(tenant, p[0], UUID.fromString(p[1])))) {
        v.violation("UNKNOWN: outcome for " + e.getKey() + " which this run never sent");
      }
    }
    List<Change> log = changes(tenant);
    v.count("change-log entries", log.size());
    Map<String, Integer> perMutation = new HashMap<>();
    Map<String, Change> byVersion = new HashMap<>();
    Map<String, Change> newest = new HashMap<>();
    for (Change c : log) {
      String mk = key(c.clientId(), c.mutationId());
      if (perMutation.merge(mk, 1, Integer::sum) == 2) {
        v.violation("DOUBLED: " + mk + " has more than one change-log entry");
      }
      String rk = c.collection() + "/" + c.recordId();
      if (byVersion.put(rk + "@" + c.version(), c) != null) {
        v.violation("two change-log entries for " + rk + " version " + c.version());
      }
      Change prev = newest.get(rk);
      if (prev != null && prev.version() >= c.version()) {
        v.violation("version went back for " + rk + ": " + prev.version() + " then " + c.version());
      }
      newest.put(rk, c);
      Outcome o = outcomes.get(mk);
      if (o == null) {
        v.violation("change-log entry of " + mk + " (" + rk + ") without an outcome");
      } else if (!"applied".equals(o.status()) && !"merged".equals(o.status())) {
        v.violation("change-log entry of " + mk + " whose outcome is " + o.status());
      } else if (!Objects.equals(o.version(), c.version())) {
        v.violation("outcome of " + mk + " says version " + o.version() + ", log " + c.version());
      }
    }
    long effective = 0;
    long noop = 0;
    for (var e : outcomes.entrySet()) {
      Outcome o = e.getValue();
      if (!"applied".equals(o.status()) && !"merged".equals(o.status())) {
        continue;
      }
      Change c = byVersion.get(o.collection() + "/" + o.recordId() + "@" + o.version());
      if (c == null) {
        v.violation(
            "applied "
                + e.getKey()
                + " at "
                + o.collection()
                + "/"
                + o.recordId()
                + " v"
                + o.version()
                + ": no such change-log entry");
      } else if (key(c.clientId(), c.mutationId()).equals(e.getKey())) {
        effective++;
      } else {
        noop++;
      }
    }
    v.count("applied that changed the record", effective);
    v.count("applied without a change (no-op)", noop);
    if (effective != log.size()) {
      v.violation(
          "change-log entries " + log.size() + " != applied mutations that changed " + effective);
    }
    // Records vs their newest change.
    long records = 0;
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT collection, record_id, version, deleted, data::text FROM records WHERE tenant = ?")) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          records++;
          String rk = rs.getString(1) + "/" + rs.getString(2);
          Change n = newest.remove(rk);
          if (n == null) {
            v.violation("record " + rk + " has no change-log entry");
          } else if (n.version() != rs.getLong(3) || n.deleted() != rs.getBoolean(4)) {
            v.violation(
                "record "
                    + rk
                    + " v"
                    + rs.getLong(3)
                    + " but its newest change is v"
                    + n.version());
          } else if (!rs.getBoolean(4)
              && !same(Http.JSON.readTree(rs.getString(5)), Http.JSON.readTree(n.data()))) {
            v.violation("record " + rk + " data differs from its newest change");
          }
        }
      }
    }
    for (String rk : newest.keySet()) {
      v.violation("change-log entries for " + rk + " but no record");
    }
    v.count("records (incl. tombstones)", records);
    return v;
  }

  /**
   * Waits at most {@code seconds} until every acknowledged mutation of the tenant has its outcome
   * (the writer has drained what the scenario produced); returns how many are still missing.
   */
  long awaitOutcomes(String tenant, Map<Ledger.Key, Ledger.Entry> sent, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    long m = missing(sent, outcomes(tenant));
    while (m > 0 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      m = missing(sent, outcomes(tenant));
    }
    return m;
  }

  private static long missing(Map<Ledger.Key, Ledger.Entry> sent, Map<String, Outcome> outcomes) {
    return sent.entrySet().stream()
        .filter(e -> e.getValue().acknowledged.get())
        .filter(e -> !outcomes.containsKey(key(e.getKey().clientId(), e.getKey().mutationId())))
        .count();
  }

  /**
   * Devices that differ from the server: pending edits left, or local records (collections {@code
   * notes} and {@code tasks}) not equal to the server's live records. At most {@code max}
   * differences per device are described; empty = all converged.
   */
  List<String> deviceDiffs(String tenant, List<FleetDevice> devices, int max) throws SQLException {
    Map<String, Object[]> server = new HashMap<>();
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT collection, record_id, version, data::text FROM records"
                    + " WHERE tenant = ? AND NOT deleted")) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          server.put(
              rs.getString(1) + "/" + rs.getString(2),
              new Object[] {rs.getLong(3), rs.getString(4)});
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (FleetDevice d : devices) {
      List<String> mine = new ArrayList<>();
      long pending = d.client.status().pendingCount();
      if (pending > 0) {
        mine.add(d.name + ": " + pending + " mutations still pending");
      }
      Map<String, SyncRecord> local = new HashMap<>();
      for (String col : List.of("notes", "tasks")) {
        for (SyncRecord r : d.client.collection(col).list()) {
          local.put(col + "/" + r.id(), r);
        }
      }
      for (var e : server.entrySet()) {
        SyncRecord r = local.remove(e.getKey());
        if (r == null) {
          mine.add(d.name + ": missing " + e.getKey());
        } else if (!Objects.equals(r.version(), e.getValue()[0])) {
          mine.add(
              d.name + ": " + e.getKey() + " v" + r.version() + " != server v" + e.getValue()[0]);
        } else {
          try {
            if (!same(r.data(), Http.JSON.readTree((String) e.getValue()[1]))) {
              mine.add(
                  d.name
                      + ": "
                      + e.getKey()
                      + " data "
                      + r.data()
                      + " != server "
                      + e.getValue()[1]);
            }
          } catch (Exception ex) {
            mine.add(d.name + ": " + ex);
          }
        }
      }
      for (String k : local.keySet()) {
        mine.add(d.name + ": has " + k + " which the server has not (or deleted)");
      }
      out.addAll(mine.subList(0, Math.min(max, mine.size())));
      if (mine.size() > max) {
        out.add(d.name + ": ... " + (mine.size() - max) + " more differences");
      }
    }
    return out;
  }

  private static final Comparator<JsonNode> NUMERIC =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  static boolean same(JsonNode a, JsonNode b) {
    return a == null ? b == null : b != null && a.equals(NUMERIC, b);
  }

  private Map<String, Outcome> outcomes(String tenant) throws SQLException {
    Map<String, Outcome> m = new HashMap<>();
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT client_id, mutation_id, status, collection, record_id, version, error_code"
                    + " FROM mutation_outcomes WHERE tenant = ?")) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long ver = rs.getLong(6);
          Long version = rs.wasNull() ? null : ver;
          m.put(
              key(rs.getString(1), (UUID) rs.getObject(2)),
              new Outcome(
                  rs.getString(3), rs.getString(4), rs.getString(5), version, rs.getString(7)));
        }
      }
    }
    return m;
  }

  private List<Change> changes(String tenant) throws SQLException {
    List<Change> l = new ArrayList<>();
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT log_partition, log_offset, collection, record_id, version, deleted,"
                    + " data::text, mutation_id, client_id FROM change_log WHERE tenant = ?"
                    + " ORDER BY log_partition, log_offset")) {
      ps.setString(1, tenant);
      ps.setFetchSize(5000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          l.add(
              new Change(
                  rs.getInt(1),
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getLong(5),
                  rs.getBoolean(6),
                  rs.getString(7),
                  (UUID) rs.getObject(8),
                  rs.getString(9)));
        }
      }
    }
    return l;
  }

  private static String key(String clientId, UUID mutationId) {
    return clientId + "|" + mutationId;
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbc, "postgres", "");
  }
}
