package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.client.SyncRecord;
import io.syncforge.devinfra.LocalStack;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The campaign's oracle, run after each fault once the fleet has settled:
 *
 * <ul>
 *   <li>nothing lost: every mutation id a device ever queued has a final outcome in PostgreSQL;
 *   <li>nothing doubled: no mutation id has more than one change-log row, every row's version is
 *       its outcome's, an outcome without a row (a no-op: a delete of a deleted record, a merge the
 *       server's values won) names a version the log holds, and the change-log rows of the tenant
 *       are exactly those of its outcomes;
 *   <li>no cursor skipped a change: a full read of the change log (last entry per record) equals
 *       the {@code records} table, and every device's local state equals it record for record (id,
 *       version, data; tombstones absent);
 *   <li>every queue drained;
 *   <li>the writer alive: a fresh tenant's write is final within seconds.
 * </ul>
 */
final class FaultOracle {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one check counted. */
  record Counts(
      int mutations,
      int applied,
      int merged,
      int rejected,
      int noOps,
      int changeLogRows,
      int liveRecords) {}

  private FaultOracle() {}

  static Counts check(LocalStack stack, Fleet fleet) throws SQLException {
    String tenant = fleet.tenant;
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "")) {
      Map<UUID, String> outcomes = new HashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT mutation_id, status FROM mutation_outcomes WHERE tenant = ?")) {
        ps.setString(1, tenant);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String was = outcomes.put((UUID) rs.getObject(1), rs.getString(2));
            assertTrue(was == null, tenant + ": two outcomes for " + rs.getObject(1));
          }
        }
      }
      Set<UUID> lost = new HashSet<>(fleet.mutationIds);
      lost.removeAll(outcomes.keySet());
      assertEquals(Set.of(), lost, tenant + ": mutations without a final outcome (lost)");
      Set<UUID> unknown = new HashSet<>(outcomes.keySet());
      unknown.removeAll(fleet.mutationIds);
      assertEquals(Set.of(), unknown, tenant + ": outcomes for mutations nobody queued");

      // Change-log rows per mutation id, with the version they wrote.
      Map<UUID, Integer> rows = new HashMap<>();
      Map<UUID, Long> rowVersion = new HashMap<>();
      Set<String> logVersions = new HashSet<>();
      int changeLogRows = 0;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT mutation_id, record_id, version FROM change_log WHERE tenant = ?")) {
        ps.setString(1, tenant);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            UUID id = (UUID) rs.getObject(1);
            rows.merge(id, 1, Integer::sum);
            rowVersion.put(id, rs.getLong(3));
            logVersions.add(rs.getString(2) + "@" + rs.getLong(3));
            changeLogRows++;
          }
        }
      }
      Map<UUID, String> outcomeAt = new HashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT mutation_id, record_id, version FROM mutation_outcomes WHERE tenant = ?"
                  + " AND status <> 'rejected'")) {
        ps.setString(1, tenant);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            outcomeAt.put((UUID) rs.getObject(1), rs.getString(2) + "@" + rs.getLong(3));
          }
        }
      }
      int applied = 0;
      int merged = 0;
      int rejected = 0;
      int noOps = 0;
      for (var e : outcomes.entrySet()) {
        int n = rows.getOrDefault(e.getKey(), 0);
        assertTrue(n <= 1, tenant + ": " + n + " change-log rows for " + e.getKey() + " (doubled)");
        switch (e.getValue()) {
          case "applied" -> applied++;
          case "merged" -> merged++;
          default -> {
            rejected++;
            assertEquals(0, n, tenant + ": change-log rows of rejected " + e.getKey());
          }
        }
        if (!"rejected".equals(e.getValue())) {
          String at = outcomeAt.get(e.getKey());
          if (n == 1) {
            assertEquals(
                at.substring(at.indexOf('@') + 1),
                Long.toString(rowVersion.get(e.getKey())),
                tenant + ": outcome and change-log row of " + e.getKey() + " disagree");
          } else {
            // A mutation that changed nothing (a delete of a deleted record, a merge the
            // server's values won): its outcome names a version the log really holds.
            noOps++;
            assertTrue(
                logVersions.contains(at),
                tenant + ": outcome " + e.getKey() + " names " + at + ", which no log row holds");
          }
        }
      }
      Set<UUID> orphanRows = new HashSet<>(rows.keySet());
      orphanRows.removeAll(outcomes.keySet());
      assertEquals(Set.of(), orphanRows, tenant + ": change-log rows without an outcome");

      // The full log read: the last entry of each record, against the records table.
      Map<String, String> fromLog =
          states(
              c,
              "SELECT DISTINCT ON (record_id) record_id, version, deleted, data FROM change_log"
                  + " WHERE tenant = ? AND collection = ? ORDER BY record_id, version DESC",
              tenant);
      Map<String, String> fromRecords =
          states(
              c,
              "SELECT record_id, version, deleted, data FROM records"
                  + " WHERE tenant = ? AND collection = ?",
              tenant);
      assertEquals(fromRecords, fromLog, tenant + ": the log's last entries are the records");

      Map<String, String> live = new TreeMap<>();
      fromRecords.forEach(
          (id, s) -> {
            if (!s.startsWith("deleted")) {
              live.put(id, s);
            }
          });
      for (Device d : fleet.devices) {
        assertEquals(0, d.client.status().pendingCount(), d.name + ": queue drained");
        Map<String, String> local = new TreeMap<>();
        for (SyncRecord r : d.client.collection(Fleet.COLLECTION).list()) {
          local.put(r.id(), "v" + r.version() + " " + canonical(r.data()));
        }
        if (!live.equals(local)) {
          Map<String, String> diff = new TreeMap<>();
          for (String id : new java.util.TreeSet<>(union(live.keySet(), local.keySet()))) {
            if (!java.util.Objects.equals(live.get(id), local.get(id))) {
              diff.put(id, "server " + live.get(id) + " / device " + local.get(id));
            }
          }
          throw new AssertionError(d.name + " (" + tenant + ") diverged from the server: " + diff);
        }
      }
      return new Counts(
          outcomes.size(), applied, merged, rejected, noOps, changeLogRows, live.size());
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  private static Map<String, String> states(Connection c, String sql, String tenant)
      throws SQLException {
    Map<String, String> m = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, tenant);
      ps.setString(2, Fleet.COLLECTION);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          m.put(
              rs.getString(1),
              rs.getBoolean(3)
                  ? "deleted v" + rs.getLong(2)
                  : "v" + rs.getLong(2) + " " + canonical(parse(rs.getString(4))));
        }
      }
    }
    return m;
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Key-sorted, number-type-independent text of a JSON value. */
  private static String canonical(JsonNode n) {
    try {
      return JSON.writer()
          .with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .writeValueAsString(JSON.treeToValue(n, Object.class));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
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
