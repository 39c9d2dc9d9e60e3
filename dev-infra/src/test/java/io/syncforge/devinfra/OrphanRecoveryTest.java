package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link DevInfraMain} in a child JVM, kills it with SIGKILL, and checks what a later run
 * finds: the broker died with its parent; the PostgreSQL server that outlived it is stopped and its
 * data directory reused.
 */
class OrphanRecoveryTest {

  @Test
  void aRunAfterASigkilledRunStartsCleanly() throws Exception {
    Path dir = Path.of("target", "test-orphans").toAbsolutePath();
    Process parent =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                DevInfraMain.class.getName(),
                "--data-dir",
                dir.toString(),
                "--fresh",
                "--database",
                "orphans",
                "--topics",
                "t:2")
            .redirectError(dir.resolveSibling("test-orphans-child.log").toFile())
            .start();
    Map<String, String> printed = new HashMap<>();
    try (var out =
        new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("READY")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          printed.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
    }
    assertTrue(printed.containsKey("KAFKA_BROKER_PID"), "child printed: " + printed);
    long brokerPid = Long.parseLong(printed.get("KAFKA_BROKER_PID"));
    long postgresPid = Long.parseLong(printed.get("POSTGRES_PID"));
    try (Connection c =
        DriverManager.getConnection(printed.get("POSTGRES_JDBC_URL"), "postgres", "")) {
      c.createStatement().execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')");
    }

    parent.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertTrue(parent.waitFor(10, TimeUnit.SECONDS));

    // The broker notices its closed stdin and exits by itself.
    ProcessHandle broker = ProcessHandle.of(brokerPid).orElse(null);
    if (broker != null) {
      broker.onExit().get(30, TimeUnit.SECONDS);
    }
    assertFalse(ProcessHandle.of(brokerPid).map(ProcessHandle::isAlive).orElse(false));
    // PostgreSQL daemonizes, so it is still there: the orphan the next run must handle.
    assertTrue(ProcessHandle.of(postgresPid).map(ProcessHandle::isAlive).orElse(false));

    try (RunningPostgres pg =
            PostgresLauncher.builder().dataDir(dir.resolve("postgres")).fresh(false).start();
        RunningKafka kafka =
            KafkaLauncher.builder().dataDir(dir.resolve("kafka")).fresh(false).start()) {
      assertFalse(ProcessHandle.of(postgresPid).map(ProcessHandle::isAlive).orElse(false));
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl("orphans"), "postgres", "")) {
        ResultSet rs = c.createStatement().executeQuery("SELECT v FROM kept");
        assertTrue(rs.next(), "data written before the kill survives");
        assertEquals("x", rs.getString(1));
      }
      kafka.createTopic("t", 2); // the topic survived with its partition count
      try (var admin = kafka.admin()) {
        assertEquals(
            2,
            admin.describeTopics(List.of("t")).allTopicNames().get().get("t").partitions().size());
      }
    }
  }
}
