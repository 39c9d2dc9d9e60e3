package io.syncforge.devinfra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The one oracle of "nothing lost, nothing doubled, nothing missed", shared by the fault campaign
 * ({@code e2e-tests}) and the load test ({@code load-test}). It reads PostgreSQL (the change-log
 * tables) directly and checks, per tenant:
 *
 * <ul>
 *   <li><b>lost</b>: a mutation that is owed an outcome (queued by a device, or answered {@code
 *       200} by a push) has none;
 *   <li><b>unknown</b>: an outcome for a mutation the run never sent;
 *   <li><b>doubled</b>: a mutation with more than one change-log row, two rows for one version of a
 *       record, a record's versions not rising in log order;
 *   <li><b>log/outcome mismatch</b>: a change-log row without an applied/merged outcome of the same
 *       version; an applied/merged outcome whose version no change-log row of its record holds (an
 *       outcome without its own row is a no-op: a delete of a deleted record, a merge the server's
 *       values won); the change-log rows equal the applied mutations that changed something;
 *   <li><b>records vs log</b> (a full log read, so no cursor can have skipped a change unnoticed):
 *       every record's version, tombstone and data equal its newest change-log row;
 *   <li><b>divergence</b> ({@link #deviceDiffs}): a device with a queue left, or whose local
 *       records differ from the server's live records (version and data; numbers compared by
 *       value).
 * </ul>
 *
 * <p>It reports, it does not throw: a {@link Verdict} with the first violations and counts. Callers
 * that want a test to fail call {@link Verdict#assertClean()}.
 */
public final class ConvergenceOracle {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int KEPT_VIOLATIONS = 40;

  /** A mutation the run sent; {@code owed}: the server owes it a final outcome. */
  public record Sent(String clientId, UUID mutationId, boolean owed) {}

  /** A device's view: its name, what its queue still holds, its live records by collection/id. */
  public record DeviceView(String name, long pending, Map<String, LocalRecord> records) {}

  /** One live record on a device. */
  public record LocalRecord(Long version, JsonNode data) {}

  /** What one tenant's check found. */
  public static final class Verdict {
    public final String tenant;
    public final List<String> violations = new ArrayList<>();
    public final Map<String, Long> counts = new LinkedHashMap<>();
    public int violationCount;

    Verdict(String tenant) {
      this.tenant = tenant;
    }

    void violation(String s) {
      violationCount++;
      if (violations.size() < KEPT_VIOLATIONS) {
        violations.add(s);
      }
    }

    void count(String k, long n) {
      counts.merge(k, n, Long::sum);
    }

    /** A count by its name, 0 when never counted. */
    public long count(String k) {
      return counts.getOrDefault(k, 0L);
    }

    /** Throws an {@link AssertionError} naming the first violations, if there are any. */
    public Verdict assertClean() {
      if (violationCount > 0) {
        throw new AssertionError(
            tenant + ": " + violationCount + " oracle violations, first: " + violations);
      }
      return this;
    }
  }

  private record Outcome(
      String status, String collection, String recordId, Long version, String code) {}

  private record Change(
      String collection,
      String recordId,
      long version,
      boolean deleted,
      String data,
      UUID mutationId,
      String clientId) {}

  private final String jdbc;

  public ConvergenceOracle(String jdbcUrl) {
    this.jdbc = jdbcUrl;
  }

  /**
   * Waits at most {@code max} until every owed mutation of the tenant has its outcome (the writer
   * has drained what the run produced); returns how many are still missing.
   */
  public long awaitOutcomes(String tenant, Collection<Sent> sent, Duration max)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long m = missing(sent, outcomes(tenant));
    while (m > 0 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      m = missing(sent, outcomes(tenant));
    }
    return m;
  }

  /**
   * Checks a tenant's outcomes, change log and records against what was sent (after waiting at most
   * {@code wait} for owed outcomes).
   */
  public Verdict check(String tenant, Collection<Sent> sent, Duration wait)
      throws SQLException, InterruptedException {
    awaitOutcomes(tenant, sent, wait);
    Verdict v = new Verdict(tenant);
    Map<String, Outcome> outcomes = outcomes(tenant);
    Map<String, Sent> byKey = new HashMap<>();
    for (Sent s : sent) {
      byKey.merge(key(s.clientId(), s.mutationId()), s, (a, b) -> a.owed() ? a : b);
    }
    v.count("mutations sent", byKey.size());
    v.count("mutations owed an outcome", byKey.values().stream().filter(Sent::owed).count());
    for (var e : byKey.entrySet()) {
      if (!outcomes.containsKey(e.getKey())) {
        if (e.getValue().owed()) {
          v.violation("LOST: " + e.getKey() + " is owed an outcome but has none");
        } else {
          v.count("never acknowledged, no outcome", 1);
        }
      }
    }
    for (var e : outcomes.entrySet()) {
      Outcome o = e.getValue();
      v.count("outcome " + o.status(), 1);
      if (o.code() != null) {
        v.count("rejected " + o.code(), 1);
      }
      if (!byKey.containsKey(e.getKey())) {
        v.violation("UNKNOWN: outcome for " + e.getKey() + " which this run never sent");
      }
    }
    List<Change> log = changes(tenant);
    v.count("change-log rows", log.size());
    Map<String, Integer> perMutation = new HashMap<>();
    Map<String, Change> byVersion = new HashMap<>();
    Map<String, Change> newest = new HashMap<>();
    for (Change c : log) {
      String mk = key(c.clientId(), c.mutationId());
      if (perMutation.merge(mk, 1, Integer::sum) == 2) {
        v.violation("DOUBLED: " + mk + " has more than one change-log row");
      }
      String rk = c.collection() + "/" + c.recordId();
      if (byVersion.put(rk + "@" + c.version(), c) != null) {
        v.violation("DOUBLED: two change-log rows for " + rk + " version " + c.version());
      }
      Change prev = newest.get(rk);
      if (prev != null && prev.version() >= c.version()) {
        v.violation("version went back for " + rk + ": " + prev.version() + " then " + c.version());
      }
      newest.put(rk, c);
      Outcome o = outcomes.get(mk);
      if (o == null) {
        v.violation("change-log row of " + mk + " (" + rk + ") without an outcome");
      } else if (!final2xx(o)) {
        v.violation("change-log row of " + mk + " whose outcome is " + o.status());
      } else if (!Objects.equals(o.version(), c.version())) {
        v.violation("outcome of " + mk + " says version " + o.version() + ", log " + c.version());
      }
    }
    long effective = 0;
    long noop = 0;
    for (var e : outcomes.entrySet()) {
      Outcome o = e.getValue();
      if (!final2xx(o)) {
        continue;
      }
      Change c = byVersion.get(o.collection() + "/" + o.recordId() + "@" + o.version());
      if (c == null) {
        v.violation(
            e.getKey()
                + " is "
                + o.status()
                + " at "
                + o.collection()
                + "/"
                + o.recordId()
                + " v"
                + o.version()
                + ", which no change-log row holds");
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
          "change-log rows " + log.size() + " != applied mutations that changed " + effective);
    }
    checkRecords(tenant, v, newest);
    return v;
  }

  private void checkRecords(String tenant, Verdict v, Map<String, Change> newest)
      throws SQLException {
    long[] records = {0, 0};
    eachRow(
        "SELECT collection, record_id, version, deleted, data::text FROM records WHERE tenant = ?",
        tenant,
        rs -> {
          records[0]++;
          String rk = rs.getString(1) + "/" + rs.getString(2);
          boolean deleted = rs.getBoolean(4);
          records[1] += deleted ? 0 : 1;
          Change n = newest.remove(rk);
          if (n == null) {
            v.violation("record " + rk + " has no change-log row");
          } else if (n.version() != rs.getLong(3) || n.deleted() != deleted) {
            v.violation(
                "record "
                    + rk
                    + " v"
                    + rs.getLong(3)
                    + " but its newest change is v"
                    + n.version());
          } else if (!deleted && !same(parse(rs.getString(5)), parse(n.data()))) {
            v.violation("record " + rk + " data differs from its newest change");
          }
        });
    for (String rk : newest.keySet()) {
      v.violation("change-log rows for " + rk + " but no record");
    }
    v.count("records (incl. tombstones)", records[0]);
    v.count("live records", records[1]);
  }

  /**
   * Devices that differ from the server: a queue left, or live records of {@code collections} not
   * equal to the server's (version and data). At most {@code max} differences per device are
   * described; empty = every device converged.
   */
  public List<String> deviceDiffs(
      String tenant, Set<String> collections, List<DeviceView> devices, int max)
      throws SQLException {
    Map<String, Object[]> server = new TreeMap<>();
    eachRow(
        "SELECT collection, record_id, version, data::text FROM records"
            + " WHERE tenant = ? AND NOT deleted",
        tenant,
        rs -> {
          if (collections.contains(rs.getString(1))) {
            server.put(
                rs.getString(1) + "/" + rs.getString(2),
                new Object[] {rs.getLong(3), rs.getString(4)});
          }
        });
    List<String> out = new ArrayList<>();
    for (DeviceView d : devices) {
      List<String> mine = new ArrayList<>();
      if (d.pending() > 0) {
        mine.add(d.name() + ": " + d.pending() + " mutations still queued");
      }
      Map<String, LocalRecord> local = new HashMap<>(d.records());
      for (var e : server.entrySet()) {
        LocalRecord r = local.remove(e.getKey());
        long version = (Long) e.getValue()[0];
        if (r == null) {
          mine.add(d.name() + ": missing " + e.getKey() + " v" + version);
        } else if (!Objects.equals(r.version(), version)) {
          mine.add(d.name() + ": " + e.getKey() + " v" + r.version() + " != server v" + version);
        } else if (!same(r.data(), parse((String) e.getValue()[1]))) {
          mine.add(
              d.name() + ": " + e.getKey() + " data " + r.data() + " != server " + e.getValue()[1]);
        }
      }
      for (String k : new TreeMap<>(local).keySet()) {
        mine.add(d.name() + ": has " + k + " which the server has not (or deleted)");
      }
      out.addAll(mine.subList(0, Math.min(max, mine.size())));
      if (mine.size() > max) {
        out.add(d.name() + ": ... " + (mine.size() - max) + " more differences");
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

  /** JSON equality with numbers compared by value ({@code 1} equals {@code 1.0}). */
  public static boolean same(JsonNode a, JsonNode b) {
    return a == null ? b == null : b != null && a.equals(NUMERIC, b);
  }

  private static boolean final2xx(Outcome o) {
    return "applied".equals(o.status()) || "merged".equals(o.status());
  }

  private static long missing(Collection<Sent> sent, Map<String, Outcome> outcomes) {
    return sent.stream()
        .filter(Sent::owed)
        .filter(s -> !outcomes.containsKey(key(s.clientId(), s.mutationId())))
        .map(s -> key(s.clientId(), s.mutationId()))
        .distinct()
        .count();
  }

  private Map<String, Outcome> outcomes(String tenant) throws SQLException {
    Map<String, Outcome> m = new HashMap<>();
    eachRow(
        "SELECT client_id, mutation_id, status, collection, record_id, version, error_code"
            + " FROM mutation_outcomes WHERE tenant = ?",
        tenant,
        rs -> {
          long ver = rs.getLong(6);
          Long version = rs.wasNull() ? null : ver;
          m.put(
              key(rs.getString(1), (UUID) rs.getObject(2)),
              new Outcome(
                  rs.getString(3), rs.getString(4), rs.getString(5), version, rs.getString(7)));
        });
    return m;
  }

  private List<Change> changes(String tenant) throws SQLException {
    List<Change> l = new ArrayList<>();
    eachRow(
        "SELECT collection, record_id, version, deleted, data::text, mutation_id, client_id"
            + " FROM change_log WHERE tenant = ? ORDER BY log_partition, log_offset",
        tenant,
        rs ->
            l.add(
                new Change(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getLong(3),
                    rs.getBoolean(4),
                    rs.getString(5),
                    (UUID) rs.getObject(6),
                    rs.getString(7))));
    return l;
  }

  private interface Row {
    void accept(ResultSet rs) throws SQLException;
  }

  /**
   * Runs a query of one tenant, streaming its rows (a fetch size streams only in a transaction).
   */
  private void eachRow(String sql, String tenant, Row row) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      c.setAutoCommit(false);
      ps.setString(1, tenant);
      ps.setFetchSize(5_000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          row.accept(rs);
        }
      }
      c.commit();
    }
  }

  private static JsonNode parse(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException("unreadable JSON in the database: " + json, e);
    }
  }

  private static String key(String clientId, UUID mutationId) {
    return clientId + "|" + mutationId;
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbc, "postgres", "");
  }
}
