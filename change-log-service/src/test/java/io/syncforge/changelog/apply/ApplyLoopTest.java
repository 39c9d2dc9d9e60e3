package io.syncforge.changelog.apply;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.ChangeNotification;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The apply loop end to end: real Kafka topic in, real PostgreSQL tables out. */
@QuarkusTest
@WithDevInfra
class ApplyLoopTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final LogFixture log = LogFixture.shared();

  @Test
  void theSameMutationSentThreeTimesChangesOnceAndKeepsItsFirstOutcome() {
    UUID id = UUID.randomUUID();
    MutationEnvelope e =
        envelope("t-idem", "c1", mutation(id, "notes", "n1", Op.UPSERT, null, "{\"a\":1}"));
    log.send(e, e, e);
    assertEquals("applied", log.awaitOutcome(id, WAIT));
    // A later marker on the same record proves the duplicates were consumed, not just pending.
    UUID marker = UUID.randomUUID();
    log.send(envelope("t-idem", "c1", mutation(marker, "notes", "n1", Op.PATCH, 1L, "{\"b\":2}")));
    assertEquals("applied", log.awaitOutcome(marker, WAIT));
    assertEquals(1, log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", id));
    assertEquals(1, log.count("SELECT count(*) FROM change_log WHERE mutation_id = ?", id));
    assertEquals(
        2L, log.scalar("SELECT version FROM records WHERE tenant = 't-idem' AND record_id = 'n1'"));

    // A retry long after (another batch) still gets the first outcome and changes nothing.
    log.send(e);
    UUID marker2 = UUID.randomUUID();
    log.send(envelope("t-idem", "c1", mutation(marker2, "notes", "n1", Op.PATCH, 2L, "{\"c\":3}")));
    assertEquals("applied", log.awaitOutcome(marker2, WAIT));
    assertEquals(1, log.count("SELECT count(*) FROM change_log WHERE mutation_id = ?", id));
    assertEquals(
        3L, log.scalar("SELECT version FROM records WHERE tenant = 't-idem' AND record_id = 'n1'"));
  }

  @Test
  void perRecordOrderEqualsOffsetOrder() throws Exception {
    int n = 300;
    List<MutationEnvelope> batch = new ArrayList<>();
    batch.add(
        envelope(
            "t-order",
            "c1",
            mutation(UUID.randomUUID(), "counters", "k", Op.UPSERT, null, "{\"i\":0}")));
    for (int i = 1; i < n; i++) {
      // Each patch is based on the version the previous one produced: no conflicts expected.
      batch.add(
          envelope(
              "t-order",
              "c1",
              mutation(
                  UUID.randomUUID(), "counters", "k", Op.PATCH, (long) i, "{\"i\":" + i + "}")));
    }
    log.send(batch);
    assertEquals(
        n,
        log.awaitCount(n, WAIT, "SELECT count(*) FROM mutation_outcomes WHERE tenant = 't-order'"));
    assertEquals(
        n,
        log.count(
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = 't-order' AND status = 'applied'"));
    assertEquals((long) n, log.scalar("SELECT version FROM records WHERE tenant = 't-order'"));
    assertEquals(
        String.valueOf(n - 1),
        log.scalar("SELECT data->>'i' FROM records WHERE tenant = 't-order'"));
    try (Connection c = log.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT version, (data->>'i')::int FROM change_log WHERE tenant = 't-order'"
                    + " ORDER BY log_partition, log_offset");
        ResultSet rs = ps.executeQuery()) {
      long expected = 1;
      while (rs.next()) {
        assertEquals(expected, rs.getLong(1), "versions follow offsets");
        assertEquals(expected - 1, rs.getInt(2));
        expected++;
      }
      assertEquals(n + 1, expected);
    }
  }

  @Test
  void conflictsAreResolvedAndReportedThroughTheWholePath() throws Exception {
    UUID create = UUID.randomUUID();
    log.send(
        envelope(
            "t-conf",
            "a",
            mutation(create, "notes", "r", Op.UPSERT, null, "{\"title\":\"x\",\"body\":\"b\"}")));
    assertEquals("applied", log.awaitOutcome(create, WAIT));
    UUID fromA = UUID.randomUUID();
    UUID fromB = UUID.randomUUID();
    log.send(
        envelope("t-conf", "a", mutation(fromA, "notes", "r", Op.PATCH, 1L, "{\"title\":\"A\"}")),
        envelope(
            "t-conf",
            "b",
            mutation(fromB, "notes", "r", Op.PATCH, 1L, "{\"title\":\"B\",\"body\":\"B\"}")));
    assertEquals("applied", log.awaitOutcome(fromA, WAIT));
    assertEquals("merged", log.awaitOutcome(fromB, WAIT));
    JsonNode conflicts =
        LogFixture.JSON.readTree(
            (String)
                log.scalar(
                    "SELECT conflicts::text FROM mutation_outcomes WHERE mutation_id = ?", fromB));
    assertEquals(1, conflicts.size());
    JsonNode c = conflicts.get(0);
    assertEquals("title", c.get("field").asText());
    assertEquals("B", c.get("local").asText());
    assertEquals("A", c.get("server").asText());
    assertEquals("A", c.get("resolved").asText());
    assertEquals("server-wins", c.get("policy").asText());
    // The clean field merged: body from B, title kept from A.
    assertEquals("A", log.scalar("SELECT data->>'title' FROM records WHERE tenant = 't-conf'"));
    assertEquals("B", log.scalar("SELECT data->>'body' FROM records WHERE tenant = 't-conf'"));
  }

  @Test
  void poisonNeverStallsItsPartition() throws Exception {
    String key = "t-poison/notes/p1"; // the same partition as the mutation that follows
    log.sendRaw(key, "{not json".getBytes(StandardCharsets.UTF_8));
    UUID invalid = UUID.randomUUID();
    log.send(
        envelope("t-poison", "c1", mutation(invalid, "notes", "p1", Op.UPSERT, null, "{\"a\":1}")));
    // Readable, but the record id breaks the rules: a rejected receipt, not a stall.
    UUID badId = UUID.randomUUID();
    log.sendRaw(
        key,
        LogFixture.JSON.writeValueAsBytes(
            envelope("t-poison", "c1", mutation(badId, "notes", "../etc", Op.UPSERT, null, "{}"))));
    UUID after = UUID.randomUUID();
    log.send(envelope("t-poison", "c1", mutation(after, "notes", "p1", Op.PATCH, 1L, "{\"b\":2}")));

    assertEquals("applied", log.awaitOutcome(after, WAIT), "the partition moved on");
    assertEquals("applied", log.awaitOutcome(invalid, WAIT));
    assertEquals("rejected", log.awaitOutcome(badId, WAIT));
    assertEquals(
        "invalid_request",
        log.scalar("SELECT error_code FROM mutation_outcomes WHERE mutation_id = ?", badId));

    List<ConsumerRecord<String, byte[]>> dlq = readAll(Topics.MUTATIONS_DLQ, 1);
    assertTrue(
        dlq.stream()
            .anyMatch(r -> new String(r.value(), StandardCharsets.UTF_8).equals("{not json")),
        "unreadable message went to the DLQ");
    ConsumerRecord<String, byte[]> letter = dlq.get(0);
    assertNotNull(letter.headers().lastHeader(DeadLetters.REASON));
    assertNotNull(letter.headers().lastHeader(DeadLetters.ORIGIN));
  }

  @Test
  void everyCommitNotifiesTheTenantWithThePartitionPosition() throws Exception {
    UUID id = UUID.randomUUID();
    log.send(envelope("t-notify", "c1", mutation(id, "notes", "x", Op.UPSERT, null, "{\"a\":1}")));
    assertEquals("applied", log.awaitOutcome(id, WAIT));
    int partition =
        (int) log.number("SELECT log_partition FROM change_log WHERE mutation_id = ?", id);
    long offset = log.number("SELECT log_offset FROM change_log WHERE mutation_id = ?", id);
    List<ConsumerRecord<String, byte[]>> notes = readAll(Topics.CHANGES, 1);
    boolean found = false;
    for (ConsumerRecord<String, byte[]> r : notes) {
      ChangeNotification n = LogFixture.JSON.readValue(r.value(), ChangeNotification.class);
      if (n.tenant().equals("t-notify") && n.partition() == partition && n.lastOffset() >= offset) {
        found = true;
        assertEquals("t-notify", r.key());
      }
    }
    assertTrue(found, "a notification covers the change's offset");
  }

  @Test
  void notificationsNameTheCollectionsTheCommitChangedPerTenantAndPartition() throws Exception {
    String t = "t-notify-coll";
    List<MutationEnvelope> batch = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      String collection = i % 3 == 0 ? "notes" : i % 3 == 1 ? "tasks" : "photos";
      batch.add(
          envelope(
              t,
              "c1",
              mutation(UUID.randomUUID(), collection, "r" + i, Op.UPSERT, null, "{\"i\":1}")));
    }
    log.send(batch);
    UUID last = batch.get(batch.size() - 1).mutation().mutationId();
    assertEquals(
        24, log.awaitCount(24, WAIT, "SELECT count(*) FROM mutation_outcomes WHERE tenant = ?", t));
    assertEquals("applied", log.awaitOutcome(last, WAIT));
    // A receipt without a change (base ahead): its notification names no collection.
    MutationEnvelope first = batch.get(0);
    UUID ahead = UUID.randomUUID();
    log.send(
        envelope(
            t,
            "c1",
            mutation(
                ahead,
                first.mutation().collection(),
                first.mutation().recordId(),
                Op.PATCH,
                9L,
                "{\"i\":2}")));
    assertEquals("rejected", log.awaitOutcome(ahead, WAIT));
    int aheadPartition =
        (int)
            log.number("SELECT log_partition FROM mutation_outcomes WHERE mutation_id = ?", ahead);
    long aheadOffset =
        log.number("SELECT log_offset FROM mutation_outcomes WHERE mutation_id = ?", ahead);

    // What the change log holds: per partition, the collections changed for the tenant.
    java.util.Map<Integer, java.util.Set<String>> changed = new java.util.TreeMap<>();
    try (Connection c = log.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT log_partition, collection FROM change_log WHERE tenant = ?")) {
      ps.setString(1, t);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          changed
              .computeIfAbsent(rs.getInt(1), p -> new java.util.TreeSet<>())
              .add(rs.getString(2));
        }
      }
    }
    assertTrue(changed.size() > 1, "the test spreads over several partitions: " + changed);

    java.util.Map<Integer, java.util.Set<String>> notified = new java.util.TreeMap<>();
    boolean receiptOnly = false;
    for (ConsumerRecord<String, byte[]> r : readAll("sync.changes", 1)) {
      ChangeNotification n = LogFixture.JSON.readValue(r.value(), ChangeNotification.class);
      if (!n.tenant().equals(t)) {
        continue;
      }
      assertNotNull(n.collections(), "the writer names the collections: " + n);
      notified
          .computeIfAbsent(n.partition(), p -> new java.util.TreeSet<>())
          .addAll(n.collections());
      if (n.partition() == aheadPartition && n.lastOffset() >= aheadOffset) {
        receiptOnly = true;
        assertEquals(List.of(), n.collections(), "a receipt-only commit changed no collection");
      }
    }
    assertEquals(changed, notified, "exactly the changed collections, per partition");
    assertTrue(receiptOnly, "the receipt-only commit was notified too");
  }

  /** Reads a topic from the beginning until at least {@code min} records or 20 s. */
  static List<ConsumerRecord<String, byte[]>> readAll(String topic, int min) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      long quietUntil = 0;
      while (System.nanoTime() < deadline) {
        var polled = c.poll(Duration.ofMillis(300));
        polled.forEach(out::add);
        if (out.size() >= min) {
          if (quietUntil == 0) {
            quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
          } else if (System.nanoTime() > quietUntil) {
            break;
          }
        }
      }
    }
    return out;
  }
}
