package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.LocalStack;
import io.syncforge.devinfra.LocalStack.Service;
import io.syncforge.devinfra.QuarkusAppProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 2, the faults that leave the shared {@link Stack} healthy afterwards: the writer
 * SIGKILLed repeatedly during a stream from many devices (and two writer instances rebalancing),
 * every PostgreSQL connection terminated, sync-api restarted mid-stream, and the TCP fault proxy
 * between the devices and sync-api. After each: {@link FaultOracle}. In plain {@code ./mvnw verify}
 * a short subset runs; {@code -Pfaults} ({@code -Dfaults.full=true}) runs the full sizes (100,000
 * mutations, 20 kills). Results go to stdout and {@code target/faults-report.md}.
 */
class FaultCampaignIT {

  static final boolean FULL = Boolean.getBoolean("faults.full");

  private final LocalStack stack = Stack.get();

  @Test
  void writerSigkilledRepeatedlyDuringAStreamAndTwoWritersRebalancing() throws Exception {
    int devices = FULL ? 20 : 3;
    int perDevice = FULL ? 5_000 : 500;
    int kills = FULL ? 20 : 2;
    long total = (long) devices * perDevice;
    List<Long> restartMs = new ArrayList<>();
    List<Long> aliveMs = new ArrayList<>();
    long t0 = System.currentTimeMillis();
    try (Fleet fleet = new Fleet(stack, "t-fault-kill", devices, stack.apiUrl())) {
      fleet.start(perDevice, FULL ? 250 : 50, 15);
      QuarkusAppProcess second = null;
      for (int k = 1; k <= kills; k++) {
        long at = total * k / (kills + 1);
        fleet.awaitProgress(at);
        if (FULL && k == kills / 2 + 1) {
          // Two writer instances: a second one joins the consumer group (rebalance), then the
          // first is killed and the second takes every partition alone until the restart.
          second =
              QuarkusAppProcess.start(
                  "change-log-service-2",
                  stack.root().resolve("change-log-service/target/quarkus-app"),
                  0,
                  secondWriterConfig(),
                  stack.home().resolve("logs"));
        }
        stack.kill(Service.CHANGELOG);
        long r0 = System.currentTimeMillis();
        Thread.sleep(300);
        stack.start(Service.CHANGELOG);
        restartMs.add(System.currentTimeMillis() - r0);
        aliveMs.add(FaultOracle.writerAlive(stack, "t-fault-kill-alive-" + k, 60_000));
      }
      if (second != null) {
        second.kill(); // the second writer dies too; the restarted first takes over again
      }
      fleet.awaitWritten(FULL ? 900_000 : 120_000);
      long settleMs = fleet.settle(FULL ? 300_000 : 90_000);
      FaultOracle.Counts c = FaultOracle.check(stack, fleet);
      assertEquals(total, fleet.written.get(), "every device wrote its quota");
      report(
          "writer SIGKILL x"
              + kills
              + (FULL ? " + second writer instance (rebalance, then killed)" : ""),
          c,
          kills + (FULL ? 1 : 0),
          fleet,
          "restart "
              + restartMs
              + " ms; fresh tenant final after restart "
              + aliveMs
              + " ms; fleet settled "
              + settleMs
              + " ms after the stream",
          t0);
    }
    FaultOracle.writerAlive(stack, "t-fault-kill-fresh", 10_000);
  }

  @Test
  void everyPostgresConnectionTerminatedMidStream() throws Exception {
    int rounds = FULL ? 10 : 2;
    int devices = FULL ? 10 : 3;
    int perDevice = FULL ? 2_000 : 300;
    long total = (long) devices * perDevice;
    List<Long> aliveMs = new ArrayList<>();
    int terminated = 0;
    long t0 = System.currentTimeMillis();
    try (Fleet fleet = new Fleet(stack, "t-fault-pgterm", devices, stack.apiUrl())) {
      fleet.start(perDevice, 50, 16);
      for (int k = 1; k <= rounds; k++) {
        long at = total * k / (rounds + 1);
        fleet.awaitProgress(at);
        terminated += terminateAll();
        aliveMs.add(FaultOracle.writerAlive(stack, "t-fault-pgterm-alive-" + k, 60_000));
      }
      fleet.awaitWritten(FULL ? 600_000 : 120_000);
      long settleMs = fleet.settle(90_000);
      FaultOracle.Counts c = FaultOracle.check(stack, fleet);
      assertTrue(terminated > 0, "connections were terminated");
      report(
          "pg_terminate_backend of every connection x" + rounds,
          c,
          terminated,
          fleet,
          terminated
              + " backends terminated; fresh tenant final after "
              + aliveMs
              + " ms; settled "
              + settleMs
              + " ms",
          t0);
    }
  }

  @Test
  void syncApiRestartedMidStream() throws Exception {
    int rounds = FULL ? 5 : 1;
    int devices = FULL ? 10 : 3;
    int perDevice = FULL ? 2_000 : 300;
    long total = (long) devices * perDevice;
    List<Long> restartMs = new ArrayList<>();
    long t0 = System.currentTimeMillis();
    try (Fleet fleet = new Fleet(stack, "t-fault-api", devices, stack.apiUrl())) {
      fleet.start(perDevice, 50, 17);
      for (int k = 1; k <= rounds; k++) {
        long at = total * k / (rounds + 1);
        fleet.awaitProgress(at);
        long r0 = System.currentTimeMillis();
        if (k % 2 == 1) {
          stack.kill(Service.API); // pushes and pulls in flight are cut
        } else {
          stack.stop(Service.API);
        }
        stack.start(Service.API);
        restartMs.add(System.currentTimeMillis() - r0);
      }
      fleet.awaitWritten(FULL ? 600_000 : 120_000);
      long settleMs = fleet.settle(90_000);
      FaultOracle.Counts c = FaultOracle.check(stack, fleet);
      report(
          "sync-api killed/stopped and restarted mid-push/mid-pull x" + rounds,
          c,
          rounds,
          fleet,
          "down+ready again " + restartMs + " ms; settled " + settleMs + " ms",
          t0);
    }
  }

  @Test
  void tcpFaultProxyBetweenDevicesAndSyncApi() throws Exception {
    int devices = FULL ? 10 : 3;
    int perDevice = FULL ? 2_000 : 300;
    int maxFaults = FULL ? 500 : 40;
    long t0 = System.currentTimeMillis();
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl());
        Fleet fleet = new Fleet(stack, "t-fault-proxy", devices, proxy.url())) {
      proxy.chaos(
          "/v1/sync/",
          List.of(
              new FaultProxy.Drop(),
              new FaultProxy.Delay(400),
              new FaultProxy.CutAfterHeaders(),
              new FaultProxy.LoseAfterApply(),
              new FaultProxy.Answer(503, "1")),
          0.25,
          15,
          maxFaults);
      fleet.start(perDevice, 50, 18);
      fleet.awaitWritten(FULL ? 600_000 : 120_000);
      // Whatever chaos is left ends now; then everything must settle.
      int injected = proxy.faultsInjected();
      var kinds = proxy.faultsByKind();
      proxy.clear();
      long settleMs = fleet.settle(90_000);
      FaultOracle.Counts c = FaultOracle.check(stack, fleet);
      assertTrue(injected > 0, "faults were injected");
      report(
          "TCP fault proxy (drop, delay, cut after headers, lost after apply, 503)",
          c,
          injected,
          fleet,
          "faults " + kinds + "; settled " + settleMs + " ms after the proxy healed",
          t0);
    }
  }

  private int terminateAll() throws Exception {
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        + " AND backend_type = 'client backend'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static synchronized void report(
      String fault, FaultOracle.Counts c, int faults, Fleet fleet, String recovery, long t0) {
    String line =
        String.format(
            "| %s | %s | %,d | %,d applied, %,d merged, %,d rejected (%,d no-ops) | %,d | %d | %s | 0"
                + " | %s | %.1f s |",
            FULL ? "full" : "subset",
            fault,
            c.mutations(),
            c.applied(),
            c.merged(),
            c.rejected(),
            c.noOps(),
            c.changeLogRows(),
            faults,
            fleet.failures,
            recovery,
            (System.currentTimeMillis() - t0) / 1000.0);
    writeReportLine(line);
  }

  /** Prints one row of the campaign's table and appends it to {@code target/faults-report.md}. */
  static synchronized void writeReportLine(String line) {
    System.out.println("FAULT CAMPAIGN " + line);
    try {
      Path out = Path.of("target", "faults-report.md");
      Files.writeString(out, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot write the faults report: " + e);
    }
  }

  /** The stack's writer configuration with an instance id of its own (static membership). */
  private java.util.Map<String, String> secondWriterConfig() {
    java.util.Map<String, String> c = new java.util.HashMap<>(stack.config(Service.CHANGELOG));
    c.put("sync.changelog.instance-id", "local-writer-2");
    return c;
  }
}
