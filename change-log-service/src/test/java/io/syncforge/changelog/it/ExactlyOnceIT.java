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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exactly once, proved against real process kills: thousands of mutations stream through the real
 * topic into the packaged service, which is killed with SIGKILL mid-stream (and, in the second
 * test, rebalanced between two instances). Afterwards every mutation has been applied exactly once:
 * counts and every record's version and value match the oracle.
 */
class ExactlyOnceIT {

  private static final int RECORDS = 400;
  private static final int PER_RECORD = 25;
  private static final int TOTAL = RECORDS * PER_RECORD;
  private static final int RESENT = 500;

  private static RunningPostgres pg;
  private static RunningKafka kafka;
  private static LogFixture log;
  private static Map<String, String> config;

  @BeforeAll
  static void infrastructure() {
    pg = PostgresLauncher.builder().dataDir(Path.of("target", "it", "postgres")).start();
    String jdbc = pg.createDatabase("sync");
    kafka = KafkaLauncher.builder().dataDir(Path.of("target", "it", "kafka")).start();
    kafka.createTopics(Topics.layout(Topics.DEFAULT_PARTITIONS));
    log = new LogFixture(kafka.bootstrapServers(), jdbc);
    DevJwt jwt = DevJwt.inDirectory(Path.of("target", "it", "jwt"));
    config =
        LogFixture.writerConfig(
            jdbc,
            kafka.bootstrapServers(),
            jwt,
            Map.of(
                // A killed instance's partitions move on after this long.
                "sync.changelog.session-timeout", "6S", "sync.changelog.max-poll-records", "500"));
  }

  @AfterAll
  static void stop() throws Exception {
    LogFixture.closeAll(log, kafka, pg);
  }

  /** Per record: an upsert, then patches each based on the version the previous one made. */
  private static List<MutationEnvelope> stream(String tenant) {
    List<MutationEnvelope> all = new ArrayList<>(TOTAL + RESENT);
    for (int k = 0; k < PER_RECORD; k++) {
      for (int r = 0; r < RECORDS; r++) {
        Op op = k == 0 ? Op.UPSERT : Op.PATCH;
        Long base = k == 0 ? null : (long) k;
        all.add(
            envelope(
                tenant,
                "device-" + (r % 7),
                mutation(UUID.randomUUID(), "items", "r" + r, op, base, "{\"seq\":" + k + "}")));
      }
    }
    // Retries of already sent mutations, interleaved late in the stream: applied once only.
    for (int i = 0; i < RESENT; i++) {
      all.add(all.get(i * 7));
    }
    return all;
  }

  private static long outcomes(String tenant) {
    return log.count("SELECT count(*) FROM mutation_outcomes WHERE tenant = ?", tenant);
  }

  private static long awaitOutcomesAtLeast(String tenant, long n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long seen = outcomes(tenant);
    while (seen < n && System.nanoTime() < deadline) {
      LogFixture.sleep(10);
      seen = outcomes(tenant);
    }
    return seen;
  }

  private static void assertAppliedExactlyOnce(String tenant) {
    assertEquals(TOTAL, outcomes(tenant), "one receipt per distinct mutation");
    assertEquals(
        TOTAL,
        log.count(
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ? AND status = 'applied'",
            tenant),
        "no conflicts: nothing was applied twice or out of order");
    assertEquals(TOTAL, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", tenant));
    assertEquals(
        TOTAL,
        log.count("SELECT count(DISTINCT mutation_id) FROM change_log WHERE tenant = ?", tenant));
    assertEquals(RECORDS, log.count("SELECT count(*) FROM records WHERE tenant = ?", tenant));
    assertEquals(
        RECORDS,
        log.count(
            "SELECT count(*) FROM records WHERE tenant = ? AND version = ? AND (data->>'seq')::int = ?",
            tenant,
            (long) PER_RECORD,
            PER_RECORD - 1),
        "every record at version " + PER_RECORD + " holding its last value");
    assertEquals(
        0,
        log.count(
            "SELECT count(*) FROM (SELECT record_id, version FROM change_log WHERE tenant = ?"
                + " GROUP BY record_id, version HAVING count(*) > 1) d",
            tenant),
        "no version written twice");
    // Per record, versions ascend with offsets.
    assertEquals(
        0,
        log.count(
            "SELECT count(*) FROM (SELECT version, lag(version) OVER (PARTITION BY record_id"
                + " ORDER BY log_offset) AS prev FROM change_log WHERE tenant = ?) v"
                + " WHERE prev IS NOT NULL AND version <> prev + 1",
            tenant));
  }

  @Test
  void aSigkilledWriterLosesAndDoublesNothing() throws Exception {
    String tenant = "t-crash";
    log.send(stream(tenant));
    long atKill;
    try (QuarkusAppProcess a = LogFixture.startWriter("crash-a", config)) {
      atKill = awaitOutcomesAtLeast(tenant, TOTAL / 4, Duration.ofSeconds(60));
      a.kill();
    }
    assertTrue(atKill > 0 && atKill < TOTAL, "killed mid-stream, after " + atKill + " of " + TOTAL);
    long committedAtKill = outcomes(tenant);
    try (QuarkusAppProcess again = LogFixture.startWriter("crash-a-restarted", config)) {
      assertEquals(TOTAL, awaitOutcomesAtLeast(tenant, TOTAL, Duration.ofSeconds(120)));
      LogFixture.sleep(1000); // the resent duplicates at the end must change nothing
    }
    System.out.printf(
        "[ExactlyOnceIT] crash: killed after %d of %d receipts were committed%n",
        committedAtKill, TOTAL);
    assertAppliedExactlyOnce(tenant);
  }

  @Test
  void twoInstancesWithARebalanceAndAKillInTheMiddle() throws Exception {
    String tenant = "t-rebalance";
    List<MutationEnvelope> all = stream(tenant);
    // A steady stream in three parts, each of the later two held back until the join (then the
    // kill) has happened, so both land mid-stream however slowly an instance starts on a loaded
    // machine (a stream that simply ran for 28 s finished before the second instance was ready).
    CountDownLatch joined = new CountDownLatch(1);
    CountDownLatch killed = new CountDownLatch(1);
    int firstPart = all.size() * 4 / 10;
    int secondPart = all.size() * 7 / 10;
    Thread producer =
        new Thread(
            () -> {
              for (int i = 0; i < all.size(); i += 250) {
                try {
                  if (i >= firstPart) {
                    joined.await();
                  }
                  if (i >= secondPart) {
                    killed.await();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                log.send(all.subList(i, Math.min(all.size(), i + 250)));
                LogFixture.sleep(700);
              }
            },
            "steady-producer");
    producer.setDaemon(true); // a failed assertion must not leave it waiting on a latch
    try (QuarkusAppProcess a = LogFixture.startWriter("group-a", config)) {
      producer.start();
      awaitOutcomesAtLeast(tenant, TOTAL / 10, Duration.ofSeconds(60));
      long atJoin = outcomes(tenant);
      try (QuarkusAppProcess b = LogFixture.startWriter("group-b", config)) {
        long bReady = outcomes(tenant);
        joined.countDown();
        awaitOutcomesAtLeast(tenant, Math.max(bReady + 500, TOTAL / 2), Duration.ofSeconds(60));
        a.kill(); // b must take over a's partitions from their stored positions
        long atKill = outcomes(tenant);
        killed.countDown();
        producer.join();
        assertEquals(TOTAL, awaitOutcomesAtLeast(tenant, TOTAL, Duration.ofSeconds(120)));
        LogFixture.sleep(1000);
        System.out.printf(
            "[ExactlyOnceIT] rebalance: b started at %d, ready at %d, a killed at %d of %d%n",
            atJoin, bReady, atKill, TOTAL);
        assertTrue(bReady < TOTAL && atKill < TOTAL, "join and kill happened mid-stream");
      }
    }
    assertAppliedExactlyOnce(tenant);
  }

  /**
   * Static membership: a writer SIGKILLed and restarted with the same {@code instance-id} takes its
   * partitions back at once. The session timeout is a minute, so a restart that had to wait out the
   * dead member's session (dynamic membership) could not apply within the bound below.
   */
  @Test
  void aRestartedInstanceWithItsIdTakesItsPartitionsBackAtOnce() throws Exception {
    Map<String, String> sticky = new java.util.HashMap<>(config);
    sticky.put("sync.changelog.consumer-group", "static-membership");
    sticky.put("sync.changelog.session-timeout", "120S");
    sticky.put("sync.changelog.instance-id", "writer-0");
    try (QuarkusAppProcess a = LogFixture.startWriter("static-a", sticky)) {
      UUID first = UUID.randomUUID();
      log.send(envelope("t-static-0", "c1", mutation(first, "notes", "n", Op.UPSERT, null, "{}")));
      assertEquals("applied", log.awaitOutcome(first, Duration.ofSeconds(60)));
      a.kill();
    }
    long t0 = System.nanoTime();
    try (QuarkusAppProcess again = LogFixture.startWriter("static-a-restarted", sticky)) {
      // One mutation per partition's worth of tenants: every partition must be back, not some.
      List<UUID> ids = new ArrayList<>();
      for (int t = 0; t < 48; t++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        log.send(
            envelope(
                "t-static-" + (t + 1), "c1", mutation(id, "notes", "n", Op.UPSERT, null, "{}")));
      }
      for (UUID id : ids) {
        assertEquals("applied", log.awaitOutcome(id, Duration.ofSeconds(100)));
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf(
          "[ExactlyOnceIT] static membership: 48 tenants final %d ms after the restart began%n",
          ms);
      assertTrue(ms < 100_000, "the restart waited out the dead member's session: " + ms + " ms");
    }
  }
}
