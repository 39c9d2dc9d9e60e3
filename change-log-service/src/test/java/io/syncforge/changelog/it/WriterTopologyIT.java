package io.syncforge.changelog.it;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 11, items 3 and 6: the liveness and topology checks against the packaged service, real
 * Kafka and PostgreSQL. Each test fails if its check is removed: (a) a batch stuck behind a lock
 * turns liveness DOWN after {@code stall-timeout}, idleness does not; (b) partitions added to the
 * topic while running refuse every partition (readiness, metrics), nothing applied or skipped; (c)
 * mutations deleted from Kafka before they were applied refuse that partition while the others keep
 * applying; (d) the topic deleted and recreated refuses the partitions whose stored positions it no
 * longer has. After each, the operator's way out and the wedge canary.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WriterTopologyIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int PARTITIONS = 12;
  private static RunningPostgres pg;
  private static RunningKafka kafka;
  private static LogFixture log;
  private static QuarkusAppProcess app;
  private static Map<String, String> config;
  private static Admin admin;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void infrastructure() {
    pg = PostgresLauncher.builder().dataDir(Path.of("target", "it-topology", "postgres")).start();
    String jdbc = pg.createDatabase("sync");
    kafka =
        KafkaLauncher.builder()
            .dataDir(Path.of("target", "it-topology", "kafka"))
            .fresh(true)
            .start();
    kafka.createTopic("sync.mutations", PARTITIONS);
    kafka.createTopic("sync.changes", 3);
    kafka.createTopic("sync.mutations.dlq", 1);
    Properties a = new Properties();
    a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    admin = Admin.create(a);
    log = new LogFixture(kafka.bootstrapServers(), jdbc);
    DevJwt jwt = DevJwt.inDirectory(Path.of("target", "it-topology", "jwt"));
    config = LogFixture.writerConfig(jdbc, kafka.bootstrapServers(), jwt, Map.of());
    config.put("sync.changelog.retry-max", "2s");
    config.put("sync.changelog.topology-recheck", "2s");
    config.put("sync.changelog.stall-timeout", "3s");
    app = LogFixture.startWriter("topology", config);
  }

  @AfterAll
  static void stop() throws Exception {
    LogFixture.closeAll(app, admin, log, kafka, pg);
  }

  /** The wedge canary: a fresh tenant's write is final within seconds, liveness UP. */
  @AfterEach
  void canary() throws Exception {
    assertTrue(app.isAlive());
    log.assertNotWedged(Duration.ofSeconds(20));
    assertEquals(200, get(app, "/q/health/live").statusCode());
  }

  private static HttpResponse<String> get(QuarkusAppProcess a, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(a.url() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Polls {@code path} until the response matches, or {@code timeout}; returns the last one. */
  private static HttpResponse<String> await(
      QuarkusAppProcess a, String path, Predicate<HttpResponse<String>> ok, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> r = get(a, path);
    while (!ok.test(r) && System.nanoTime() < deadline) {
      LogFixture.sleep(200);
      r = get(a, path);
    }
    return r;
  }

  private static double metric(QuarkusAppProcess a, String series) throws Exception {
    for (String l : get(a, "/q/metrics").body().lines().toList()) {
      if (l.startsWith(series + " ") || l.startsWith(series + "{")) {
        return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  private static void sql(String database, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static int partitionOf(UUID mutation) {
    return (int)
        log.number("SELECT log_partition FROM mutation_outcomes WHERE mutation_id = ?", mutation);
  }

  private static long stored(int p) {
    return log.number("SELECT next_offset FROM partition_positions WHERE log_partition = ?", p);
  }

  /** A tenant whose record "n" of "notes" goes to a partition other than {@code avoid}. */
  private static MutationEnvelope elsewhere(int avoid, UUID id) {
    for (int i = 0; ; i++) {
      MutationEnvelope e =
          envelope(
              "t-other-" + i + "-" + id.toString().substring(0, 6),
              "c",
              mutation(id, "notes", "n", Op.UPSERT, null, "{\"a\":1}"));
      if (kafkaPartition(e.key(), PARTITIONS) != avoid) {
        return e;
      }
    }
  }

  /** The default partitioner's choice for a key (murmur2, as every producer of the topic). */
  private static int kafkaPartition(String key, int partitions) {
    return org.apache.kafka.common.utils.Utils.toPositive(
            org.apache.kafka.common.utils.Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)))
        % partitions;
  }

  private static long endOffset(String topic, int p) {
    Properties c = new Properties();
    c.put("bootstrap.servers", kafka.bootstrapServers());
    try (var consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, p);
      return consumer.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
    }
  }

  @Test
  @Order(1)
  void livenessGoesDownOnlyWhenABatchMakesNoProgressWhileWorkWaits() throws Exception {
    // Idle with no work for longer than stall-timeout (3 s): not a reason to restart.
    LogFixture.sleep(5000);
    assertEquals(200, get(app, "/q/health/live").statusCode(), "idle is not stalled");

    String t = "t-stall";
    UUID first = log.upsertApplied(t, "r", WAIT, "the first write");
    int p = partitionOf(first);
    UUID second = UUID.randomUUID();
    // A stuck transaction (e.g. a previous owner's) holds the partition's position row: the
    // writer's next batch waits on it (below lock_timeout), making no progress, no fault either.
    try (Connection holder = DriverManager.getConnection(pg.jdbcUrl("sync"), "postgres", "")) {
      holder.setAutoCommit(false);
      try (PreparedStatement ps =
          holder.prepareStatement(
              "SELECT next_offset FROM partition_positions WHERE log_partition = ? FOR UPDATE")) {
        ps.setInt(1, p);
        ps.executeQuery().close();
      }
      log.send(envelope(t, "c", mutation(second, "notes", "r", Op.PATCH, 1L, "{\"b\":2}")));
      HttpResponse<String> live =
          await(app, "/q/health/live", r -> r.statusCode() == 503, Duration.ofSeconds(20));
      assertEquals(
          503, live.statusCode(), "a stalled loop with work waiting is DOWN: " + live.body());
      assertTrue(live.body().contains("\"waiting\""), live.body());
      assertNull(log.scalar("SELECT status FROM mutation_outcomes WHERE mutation_id = ?", second));
      holder.rollback();
    }
    assertEquals("applied", log.awaitOutcome(second, WAIT));
    assertEquals(
        200,
        await(app, "/q/health/live", r -> r.statusCode() == 200, Duration.ofSeconds(10))
            .statusCode(),
        "UP again once the loop progresses");
  }

  @Test
  @Order(2)
  void partitionsAddedToTheTopicRefuseEveryPartitionNothingAppliedNothingSkipped()
      throws Exception {
    // A second writer of its own topic, database and group: the first one keeps serving.
    String topic = "sync.mutations.grown";
    kafka.createTopic(topic, PARTITIONS);
    String jdbc = pg.createDatabase("sync_grown");
    Map<String, String> props = new HashMap<>(config);
    props.put("quarkus.datasource.jdbc.url", jdbc);
    props.put("sync.kafka.mutations-topic", topic);
    props.put("sync.changelog.consumer-group", "grown");
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    pp.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "500");
    try (QuarkusAppProcess grown = LogFixture.startWriter("topology-grown", props);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer());
        LogFixture db = new LogFixture(kafka.bootstrapServers(), jdbc)) {
      UUID first = UUID.randomUUID();
      MutationEnvelope e1 =
          envelope("t-grown", "c", mutation(first, "notes", "r", Op.UPSERT, null, "{\"a\":1}"));
      producer
          .send(new ProducerRecord<>(topic, e1.key(), LogFixture.JSON.writeValueAsBytes(e1)))
          .get();
      assertEquals("applied", db.awaitOutcome(first, WAIT));
      assertEquals(0.0, metric(grown, "sync_apply_topology_mismatch"));

      admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(16))).all().get();
      HttpResponse<String> ready =
          await(grown, "/q/health/ready", r -> r.body().contains("has 16 partitions"), WAIT);
      assertEquals(503, ready.statusCode(), "readiness shows the mismatch");
      assertTrue(ready.body().contains("has 16 partitions"), ready.body());
      assertEquals(1.0, metric(grown, "sync_apply_topology_mismatch"));
      assertTrue(metric(grown, "sync_apply_partitions_refused") >= 1, "partitions refused");
      long positions = db.count("SELECT coalesce(sum(next_offset), 0) FROM partition_positions");

      // Mutations to old and new partitions: none applied, none skipped as "already applied".
      for (int i = 0; i < 16; i++) {
        UUID id = UUID.randomUUID();
        MutationEnvelope e =
            envelope("t-grown", "c", mutation(id, "notes", "k" + i, Op.UPSERT, null, "{}"));
        producer.send(
            new ProducerRecord<>(topic, i, e.key(), LogFixture.JSON.writeValueAsBytes(e)));
      }
      producer.flush();
      LogFixture.sleep(6000);
      assertEquals(1, db.count("SELECT count(*) FROM mutation_outcomes"), "nothing applied");
      assertEquals(
          positions,
          db.count("SELECT coalesce(sum(next_offset), 0) FROM partition_positions"),
          "no position moved: nothing skipped");
      assertEquals(200, get(grown, "/q/health/live").statusCode(), "not a restart reason");
    }
  }

  @Test
  @Order(3)
  void mutationsDeletedBeforeTheyWereAppliedRefuseThatPartitionOnly() throws Exception {
    String t = "t-gap";
    UUID first = log.upsertApplied(t, "r", WAIT, "the first write");
    int p = partitionOf(first);
    long position = stored(p);
    // Hold the partition (refused as beyond the end) so that what follows stays unapplied.
    sql(
        "sync",
        "UPDATE partition_positions SET next_offset = 999999999 WHERE log_partition = " + p);
    await(app, "/q/health/ready", r -> r.body().contains("beyond the end offset"), WAIT);
    UUID[] lost = new UUID[3];
    for (int i = 0; i < lost.length; i++) {
      lost[i] = UUID.randomUUID();
      log.send(
          envelope(t, "c", mutation(lost[i], "notes", "r", Op.PATCH, null, "{\"i\":" + i + "}")));
    }
    long end = endOffset("sync.mutations", p);
    assertEquals(position + lost.length, end);
    // Retention (here deleteRecords) removes them before the writer applied them.
    admin
        .deleteRecords(
            Map.of(new TopicPartition("sync.mutations", p), RecordsToDelete.beforeOffset(end)))
        .all()
        .get();
    sql(
        "sync",
        "UPDATE partition_positions SET next_offset = " + position + " WHERE log_partition = " + p);

    HttpResponse<String> ready =
        await(app, "/q/health/ready", r -> r.body().contains("below the earliest available"), WAIT);
    assertTrue(ready.body().contains("below the earliest available offset " + end), ready.body());
    assertEquals(503, ready.statusCode());
    assertEquals(1.0, metric(app, "sync_apply_partitions_refused"));
    // The other partitions keep applying: a fresh tenant elsewhere is final within seconds.
    UUID other = UUID.randomUUID();
    log.send(elsewhere(p, other));
    assertEquals("applied", log.awaitOutcome(other, Duration.ofSeconds(10)));
    // The refused one: a new mutation waits, the deleted ones are neither applied nor skipped.
    UUID waiting = UUID.randomUUID();
    log.send(envelope(t, "c", mutation(waiting, "notes", "r", Op.PATCH, null, "{\"w\":1}")));
    LogFixture.sleep(5000);
    assertEquals(
        0,
        log.count(
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ? AND mutation_id <> ?",
            t,
            first));
    assertEquals(position, stored(p), "the position did not jump over the gap");
    assertEquals(200, get(app, "/q/health/live").statusCode(), "a restart would not help");

    // The operator accepts the loss: position := earliest offset; resumes without a restart.
    sql(
        "sync",
        "UPDATE partition_positions SET next_offset = " + end + " WHERE log_partition = " + p);
    assertEquals("applied", log.awaitOutcome(waiting, WAIT));
    for (UUID id : lost) {
      assertEquals(
          0, log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", id));
    }
    assertEquals(200, await(app, "/q/health/ready", r -> r.statusCode() == 200, WAIT).statusCode());
  }

  @Test
  @Order(4)
  void aTopicDeletedAndRecreatedRefusesThePartitionsItForgot() throws Exception {
    String t = "t-recreate";
    UUID first = log.upsertApplied(t, "r", WAIT, "the first write");
    int p = partitionOf(first);
    assertNotEquals(0, stored(p));
    admin.deleteTopics(List.of("sync.mutations")).all().get();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        admin
            .createTopics(List.of(new NewTopic("sync.mutations", PARTITIONS, (short) 1)))
            .all()
            .get();
        break;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
          throw e;
        }
        LogFixture.sleep(500); // still being deleted
      }
    }
    // Each partition is refused when the writer next looks at it: wait for this one's reason.
    String reason = "stored position " + stored(p) + " is beyond the end offset 0";
    HttpResponse<String> ready =
        await(app, "/q/health/ready", r -> r.body().contains(reason), WAIT);
    assertTrue(ready.body().contains(reason), ready.body());
    UUID after = UUID.randomUUID();
    log.send(envelope(t, "c", mutation(after, "notes", "r", Op.PATCH, 1L, "{\"b\":2}")));
    LogFixture.sleep(5000);
    assertEquals(
        0,
        log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", after),
        "nothing applied from (or skipped in) the recreated partition");
    assertTrue(metric(app, "sync_apply_partitions_refused") >= 1);

    // Positions to 0 alone would apply new offsets over the old log's: refused too, not poison.
    sql("sync", "UPDATE partition_positions SET next_offset = 0 WHERE next_offset > 0");
    ready = await(app, "/q/health/ready", r -> r.body().contains("already holds offset"), WAIT);
    assertTrue(ready.body().contains("the change log already holds offset 0"), ready.body());
    LogFixture.sleep(3000);
    assertEquals(
        0, log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", after));
    // The operator's way out for a recreated topic (README): a new log epoch (every cursor void,
    // devices re-snapshot), the old topic's log entries gone, positions at 0.
    sql(
        "sync",
        "BEGIN; UPDATE log_epoch SET epoch = epoch + 1, changed_at = now();"
            + " DELETE FROM change_log; UPDATE partition_positions SET next_offset = 0; COMMIT;");
    assertEquals("applied", log.awaitOutcome(after, WAIT));
    assertEquals(200, await(app, "/q/health/ready", r -> r.statusCode() == 200, WAIT).statusCode());
  }
}
