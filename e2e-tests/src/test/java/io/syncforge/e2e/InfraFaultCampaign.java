package io.syncforge.e2e;

import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.devinfra.LocalStack.Service;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 2, the faults of PostgreSQL and Kafka themselves, on this class's OWN {@link
 * LocalStack} (home {@code target/faults-stack}) so the shared {@link Stack} is never disturbed:
 * PostgreSQL refusing connections for 30 s, PostgreSQL stopped and restarted, the Kafka broker
 * SIGSTOPped then SIGCONTed, and killed (SIGKILL) and restarted, each in the middle of a stream
 * from a fleet of devices, each followed by the {@link FaultOracle}. Not an {@code *IT}: only the
 * {@code faults} profile runs it ({@code ./mvnw -Pfaults ...}, see docs/reliability.md).
 */
class InfraFaultCampaign {

  private static LocalStack stack;

  @BeforeAll
  static void start() {
    stack =
        LocalStack.builder()
            .root(Path.of(System.getProperty("syncforge.root", "..")).toAbsolutePath().normalize())
            .home(Path.of("target", "faults-stack").toAbsolutePath())
            .fresh(true)
            .config(Service.CHANGELOG, "sync.changelog.compaction-delay", "24h")
            .config(Service.CHANGELOG, "sync.changelog.policies.notes", "server-wins")
            .start();
  }

  @AfterAll
  static void stop() {
    // The stack (its services, its first broker, PostgreSQL, restarted or not), then the broker
    // this class restarted.
    if (stack != null) {
      stack.close();
    }
    if (restartedKafka != null) {
      restartedKafka.close();
    }
  }

  private interface Fault {
    /** Injects the fault, holds it, heals it; returns a description of what was done. */
    String run() throws Exception;
  }

  private void campaign(String name, String tenant, Fault fault) throws Exception {
    int devices = 6;
    int perDevice = 1_000;
    long total = (long) devices * perDevice;
    long t0 = System.currentTimeMillis();
    try (Fleet fleet = new Fleet(stack, tenant, devices, stack.apiUrl())) {
      fleet.start(perDevice, 50, tenant.hashCode());
      fleet.awaitProgress(total / 3);
      String what = fault.run();
      long healed = System.currentTimeMillis();
      long aliveMs = FaultOracle.writerAlive(stack, tenant + "-alive", 120_000);
      fleet.awaitWritten(600_000);
      long settleMs = fleet.settle(180_000);
      FaultOracle.Counts c = FaultOracle.check(stack, fleet);
      FaultCampaignIT.report(
          name,
          c,
          1,
          fleet,
          what
              + "; fresh tenant final "
              + aliveMs
              + " ms after healing; settled "
              + settleMs
              + " ms after the stream (healed at +"
              + (healed - t0) / 1000
              + " s)",
          t0);
    }
    FaultOracle.writerAlive(stack, tenant + "-fresh", 10_000);
  }

  @Test
  void postgresRefusingConnectionsFor30s() throws Exception {
    campaign(
        "PostgreSQL refusing connections for 30 s (ALLOW_CONNECTIONS false + terminate)",
        "t-infra-refuse",
        () -> {
          try (Connection c =
              DriverManager.getConnection(stack.postgres().jdbcUrl("postgres"), "postgres", "")) {
            c.createStatement().execute("ALTER DATABASE sync ALLOW_CONNECTIONS false");
            c.createStatement()
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'sync'");
            Thread.sleep(30_000);
            c.createStatement().execute("ALTER DATABASE sync ALLOW_CONNECTIONS true");
          }
          return "refused 30 s";
        });
  }

  @Test
  void postgresStoppedAndRestarted() throws Exception {
    campaign(
        "PostgreSQL stopped (SIGINT, fast shutdown) and restarted after 10 s",
        "t-infra-pgstop",
        () -> {
          // Fast shutdown (SIGINT: every session ends, nothing committed is lost), 10 s without
          // a server, then the same server again on its data directory and port.
          stack.postgres().stop();
          Thread.sleep(10_000);
          long r0 = System.currentTimeMillis();
          stack.postgres().startAgain();
          return "down 10 s, listening again " + (System.currentTimeMillis() - r0) + " ms later";
        });
  }

  @Test
  void kafkaBrokerSigstoppedThenSigconted() throws Exception {
    campaign(
        "Kafka broker SIGSTOP for 20 s, then SIGCONT",
        "t-infra-kstop",
        () -> {
          long pid = kafka().pid();
          signal(pid, "STOP");
          try {
            Thread.sleep(20_000);
          } finally {
            signal(pid, "CONT");
          }
          return "frozen 20 s";
        });
  }

  @Test
  void kafkaBrokerKilledAndRestarted() throws Exception {
    campaign(
        "Kafka broker SIGKILLed and restarted after 5 s",
        "t-infra-kkill",
        () -> {
          var old = kafka();
          int port = Integer.parseInt(old.bootstrapServers().replaceAll(".*:", ""));
          signal(old.pid(), "KILL");
          awaitExit(old.pid());
          Thread.sleep(5_000);
          long r0 = System.currentTimeMillis();
          // Same port and data directory: topics, offsets and the writer's positions survive.
          restartedKafka =
              KafkaLauncher.builder().dataDir(old.dataDir()).port(port).fresh(false).start();
          return "killed, down 5 s, listening again "
              + (System.currentTimeMillis() - r0)
              + " ms later";
        });
  }

  private static KafkaLauncher.RunningKafka restartedKafka;

  /** The broker running now: the stack's, or the one a test restarted in its place. */
  private static KafkaLauncher.RunningKafka kafka() {
    return restartedKafka != null ? restartedKafka : stack.kafka();
  }

  static void signal(long pid, String signal) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
    }
  }

  private static void awaitExit(long pid) throws Exception {
    var h = ProcessHandle.of(pid);
    if (h.isPresent()) {
      h.get().onExit().get(60, TimeUnit.SECONDS);
    }
  }
}
