package io.syncforge.changelog.it;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.DevJwt;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import io.syncforge.devinfra.QuarkusAppProcess;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 2: transient faults against the packaged service as a real process. Every
 * PostgreSQL connection terminated mid-stream (the wedge), PostgreSQL refusing connections
 * for 20 s, the Kafka broker stopped and restarted: afterwards every mutation is applied exactly
 * once, the loop is alive (liveness 200) and a fresh tenant's write becomes final within seconds.
 */
class WriterFaultsIT {

  private static final int RECORDS = 50;
  private static final int PER_RECORD = 20;
  private static final int TOTAL = RECORDS * PER_RECORD;

  private static RunningPostgres pg;
  private static RunningKafka kafka;
  private static String jdbc;
  private static LogFixture log;
  private static QuarkusAppProcess app;
  private static Map<String, String> config;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void infrastructure() {
    pg = PostgresLauncher.builder().dataDir(Path.of("target", "it-faults", "postgres")).start();
    jdbc = pg.createDatabase("sync");
    kafka = startKafka(0, true);
    kafka.createTopics(Topics.layout(Topics.DEFAULT_PARTITIONS));
    log = new LogFixture(kafka.bootstrapServers(), jdbc);
    DevJwt jwt = DevJwt.inDirectory(Path.of("target", "it-faults", "jwt"));
    config =
        LogFixture.writerConfig(
            jdbc,
            kafka.bootstrapServers(),
            jwt,
            Map.of(
                "sync.changelog.max-poll-records", "200",
                "sync.changelog.retry-max", "3s",
                "sync.changelog.topology-recheck", "2s"));
    app = LogFixture.startWriter("faults", config);
  }

  private static RunningKafka startKafka(int port, boolean fresh) {
    return KafkaLauncher.builder()
        .dataDir(Path.of("target", "it-faults", "kafka"))
        .port(port)
        .fresh(fresh)
        .start();
  }

  @AfterAll
  static void stop() throws Exception {
    LogFixture.closeAll(app, log, kafka, pg);
  }

  /** The wedge canary and the liveness check after every fault. */
  @AfterEach
  void aliveAndApplyingForEverybody() throws Exception {
    assertTrue(app.isAlive(), "the service process is alive");
    log.assertNotWedged(Duration.ofSeconds(20));
    assertEquals(200, liveness(), "liveness UP");
  }

  private static int liveness() throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(app.url() + "/q/health/live")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static HttpResponse<String> readiness() throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(app.url() + "/q/health/ready")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Per record: an upsert, then patches each based on the version the previous one made. */
  private static List<MutationEnvelope> stream(String tenant) {
    List<MutationEnvelope> all = new ArrayList<>(TOTAL);
    for (int k = 0; k < PER_RECORD; k++) {
      for (int r = 0; r < RECORDS; r++) {
        all.add(
            envelope(
                tenant,
                "device-" + (r % 3),
                mutation(
                    UUID.randomUUID(),
                    "items",
                    "r" + r,
                    k == 0 ? Op.UPSERT : Op.PATCH,
                    k == 0 ? null : (long) k,
                    "{\"seq\":" + k + "}")));
      }
    }
    return all;
  }

  private static void assertAppliedExactlyOnce(String tenant) {
    assertEquals(
        TOTAL,
        log.awaitCount(
            TOTAL,
            Duration.ofSeconds(90),
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ?",
            tenant));
    LogFixture.sleep(500);
    assertEquals(
        TOTAL,
        log.count(
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ? AND status = 'applied'",
            tenant),
        "all applied, none twice or out of order");
    assertEquals(TOTAL, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", tenant));
    assertEquals(
        RECORDS,
        log.count(
            "SELECT count(*) FROM records WHERE tenant = ? AND version = ? AND (data->>'seq')::int = ?",
            tenant,
            (long) PER_RECORD,
            PER_RECORD - 1));
  }

  private static void sql(String database, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static void terminateWriterConnections() throws Exception {
    sql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE datname = 'sync' AND pid <> pg_backend_pid()");
  }

  @Test
  void everyConnectionTerminatedMidStreamRepeatedly() throws Exception {
    String tenant = "t-terminate";
    List<MutationEnvelope> all = stream(tenant);
    for (int i = 0; i < 10; i++) {
      log.send(all.subList(i * TOTAL / 10, (i + 1) * TOTAL / 10));
      terminateWriterConnections();
      LogFixture.sleep(300);
    }
    assertAppliedExactlyOnce(tenant);
  }

  @Test
  void postgresRefusingConnectionsFor20Seconds() throws Exception {
    String tenant = "t-refusing";
    List<MutationEnvelope> all = stream(tenant);
    log.send(all.subList(0, TOTAL / 2));
    sql("postgres", "ALTER DATABASE sync ALLOW_CONNECTIONS false");
    try {
      terminateWriterConnections();
      log.send(all.subList(TOTAL / 2, TOTAL));
      LogFixture.sleep(10_000);
      assertEquals(200, liveness(), "a database outage is no reason to restart");
      LogFixture.sleep(10_000);
    } finally {
      sql("postgres", "ALTER DATABASE sync ALLOW_CONNECTIONS true");
    }
    assertAppliedExactlyOnce(tenant);
  }

  @Test
  void kafkaBrokerStoppedAndRestarted() throws Exception {
    String tenant = "t-kafka";
    List<MutationEnvelope> all = stream(tenant);
    log.send(all.subList(0, TOTAL / 2));
    int port = Integer.parseInt(kafka.bootstrapServers().replaceAll(".*:", ""));
    kafka.close();
    LogFixture.sleep(15_000);
    assertEquals(200, liveness(), "a broker outage is no reason to restart");
    kafka = startKafka(port, false);
    log.send(all.subList(TOTAL / 2, TOTAL));
    assertAppliedExactlyOnce(tenant);
  }

  /**
   * Item 6: a stored position beyond the topic's end (what a recreated topic looks like) is refused
   * loudly, never applied from or silently skipped; the operator's fix resumes it.
   */
  @Test
  void aPositionBeyondTheTopicIsRefusedUntilTheOperatorSetsIt() throws Exception {
    String tenant = "t-topology";
    UUID first = log.upsertApplied(tenant, "x", Duration.ofSeconds(20), "the first write");
    int p =
        (int)
            log.number("SELECT log_partition FROM mutation_outcomes WHERE mutation_id = ?", first);
    long stored =
        log.number("SELECT next_offset FROM partition_positions WHERE log_partition = ?", p);
    // As if the topic had been recreated: the database remembers offsets Kafka never had.
    sql(
        "sync",
        "UPDATE partition_positions SET next_offset = "
            + (stored + 1_000_000)
            + " WHERE log_partition = "
            + p);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    HttpResponse<String> ready = readiness();
    while (ready.statusCode() == 200 && System.nanoTime() < deadline) {
      LogFixture.sleep(200);
      ready = readiness();
    }
    assertEquals(503, ready.statusCode(), "readiness reports the refused partition");
    assertTrue(ready.body().contains("beyond the end offset"), ready.body());
    UUID second = UUID.randomUUID();
    log.send(envelope(tenant, "c", mutation(second, "notes", "x", Op.PATCH, 1L, "{\"b\":2}")));
    LogFixture.sleep(5000);
    assertEquals(
        0,
        log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", second),
        "nothing is applied (or silently skipped) from a refused partition");
    assertEquals(200, liveness(), "a refused partition is no reason to restart");
    // The operator's way out: set the position explicitly; picked up without a restart.
    sql(
        "sync",
        "UPDATE partition_positions SET next_offset = " + stored + " WHERE log_partition = " + p);
    assertEquals("applied", log.awaitOutcome(second, Duration.ofSeconds(20)));
    assertEquals(200, readiness().statusCode());
  }
}
