package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncRecord;
import io.syncforge.devinfra.LocalStack;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 2, the device side: a device process ({@link DeviceMain}, a real sync-client in a
 * child JVM) SIGKILLed mid-push and mid-apply of pull pages, then restarted on the same SQLite
 * file. Nothing lost or doubled (each of its edits has exactly one outcome and one change-log row),
 * and its final state equals the server's record for record.
 */
class DeviceProcessKillIT {

  private final LocalStack stack = Stack.get();

  @Test
  void aDeviceProcessKilledMidPushAndMidPullApplyResumesOnItsSqliteFile() throws Exception {
    String tenant = "t-fault-devkill";
    int kills = FaultCampaignIT.FULL ? 10 : 2;
    int edits = FaultCampaignIT.FULL ? 3_000 : 1_000;
    long t0 = System.currentTimeMillis();
    Path db = Files.createTempDirectory(Path.of("target"), "devkill-").resolve("device.db");
    String token = stack.token(tenant, "child");
    Random rnd = new Random(15);
    int killedMidPush = 0;
    int killedMidPull = 0;
    try (Device other = new Device(stack, tenant, "other")) {
      for (int i = 0; i < 1_000; i++) {
        other.client.collection("notes").put("o-" + i, Map.of("title", "o" + i));
      }
      other.syncUntilSettled();
      // Mid-push (and the first sync's snapshot): the child's edits go out while it is killed.
      for (int k = 0; k < kills; k++) {
        if (runChild(token, db, edits, 100 + rnd.nextInt(1_500))) {
          killedMidPush++;
        }
      }
      runChild(token, db, edits, -1); // a run to the end settles
      // Mid-apply of pull pages: 2,000 new changes arrive in pages of 200 while it is killed.
      for (int i = 0; i < 2_000; i++) {
        other.client.collection("notes").put("p-" + i, Map.of("title", "p" + i));
      }
      other.syncUntilSettled();
      for (int k = 0; k < kills; k++) {
        if (runChild(token, db, edits, 50 + rnd.nextInt(800))) {
          killedMidPull++;
        }
      }
      runChild(token, db, edits, -1);
    }
    long expected = 3_000L + edits;
    assertEquals(
        expected, count("SELECT count(*) FROM mutation_outcomes WHERE tenant = ?", tenant));
    assertEquals(
        expected,
        count(
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ? AND status = 'applied'",
            tenant));
    assertEquals(expected, count("SELECT count(*) FROM change_log WHERE tenant = ?", tenant));
    assertEquals(
        expected,
        count("SELECT count(DISTINCT mutation_id) FROM change_log WHERE tenant = ?", tenant),
        "nothing doubled");
    assertEquals(expected, count("SELECT count(*) FROM records WHERE tenant = ?", tenant));
    Map<String, Long> server = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT record_id, version FROM records WHERE tenant = ? AND NOT deleted")) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          server.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    Map<String, Long> local = new TreeMap<>();
    try (SyncClient c =
        SyncClient.builder().baseUrl(stack.apiUrl()).token(token).database(db).build()) {
      for (SyncRecord r : c.collection("notes").list()) {
        local.put(r.id(), r.version());
      }
      assertEquals(0, c.status().pendingCount(), "queue drained");
    }
    assertEquals(server, local, "the killed device converged to the server state");
    FaultOracle.writerAlive(stack, "t-fault-devkill-fresh", 10_000);
    String line =
        String.format(
            "| %s | device process SIGKILLed mid-push x%d and mid-pull-apply x%d, restarted on its"
                + " SQLite file | %,d | %,d applied | %,d | %d | - | 0 | converged | %.1f s |",
            FaultCampaignIT.FULL ? "full" : "subset",
            killedMidPush,
            killedMidPull,
            expected,
            expected,
            expected,
            killedMidPush + killedMidPull,
            (System.currentTimeMillis() - t0) / 1000.0);
    FaultCampaignIT.writeReportLine(line);
  }

  /**
   * Runs {@link DeviceMain}; with {@code killAfterMs >= 0} SIGKILLs it that long after it wrote its
   * edits (if it has not settled yet). Returns whether it was killed.
   */
  private boolean runChild(String token, Path db, int edits, long killAfterMs) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DeviceMain.class.getName());
    cmd.add(stack.apiUrl());
    cmd.add(token);
    cmd.add(db.toString());
    cmd.add(Integer.toString(edits));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean wrote = false;
      while (!wrote && (line = out.readLine()) != null) {
        wrote = line.equals("WROTE");
      }
      assertTrue(wrote, "the child wrote its edits");
      if (killAfterMs >= 0) {
        if (!p.waitFor(killAfterMs, TimeUnit.MILLISECONDS)) {
          p.destroyForcibly(); // SIGKILL
          p.waitFor(20, TimeUnit.SECONDS);
          return true;
        }
        return false;
      }
      StringBuilder rest = new StringBuilder();
      Thread drain =
          new Thread(
              () -> {
                try {
                  out.lines().forEach(l -> rest.append(l).append('\n'));
                } catch (RuntimeException e) {
                  // closed
                }
              });
      drain.start();
      assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the child settles in time");
      drain.join(5_000);
      assertEquals(0, p.exitValue(), "child output: " + rest);
      return false;
    } finally {
      p.destroyForcibly();
    }
  }

  private long count(String sql, String tenant) throws Exception {
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
