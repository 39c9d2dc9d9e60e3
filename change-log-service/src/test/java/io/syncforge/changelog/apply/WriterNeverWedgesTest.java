package io.syncforge.changelog.apply;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: every row of the table and every record state, against the real PostgreSQL and
 * Kafka. After each case the wedge canary: a normal mutation of a fresh tenant becomes final within
 * a few seconds.
 */
@QuarkusTest
@WithDevInfra
class WriterNeverWedgesTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration CANARY = Duration.ofSeconds(10);
  private static final LogFixture log = LogFixture.shared();

  /** The wedge canary: another tenant's ordinary write is final within seconds. */
  @AfterEach
  void canary() {
    log.assertNotWedged(CANARY);
    RestAssured.get("/q/health/live").then().statusCode(200);
  }

  private static String code(UUID id) {
    return (String)
        log.scalar("SELECT error_code FROM mutation_outcomes WHERE mutation_id = ?", id);
  }

  private static Object version(UUID id) {
    return log.scalar("SELECT version FROM mutation_outcomes WHERE mutation_id = ?", id);
  }

  private static Object record(String tenant, String column) {
    return log.scalar("SELECT " + column + " FROM records WHERE tenant = ?", tenant);
  }

  private static MutationEnvelope env(
      String tenant, String client, UUID id, Op op, Long base, String data) {
    return envelope(tenant, client, mutation(id, "notes", "r", op, base, data));
  }

  @Test
  void deleteOfARecordThatNeverExistedIsAppliedWithATombstone() {
    UUID del = UUID.randomUUID();
    log.send(env("t-del-missing", "c1", del, Op.DELETE, null, null));
    assertEquals("applied", log.awaitOutcome(del, WAIT));
    assertEquals(1L, version(del));
    assertEquals(true, record("t-del-missing", "deleted"));
    assertEquals(1L, record("t-del-missing", "version"));
    assertEquals(
        1, log.count("SELECT count(*) FROM change_log WHERE mutation_id = ? AND deleted", del));
    // A re-create continues above the tombstone.
    UUID create = UUID.randomUUID();
    log.send(env("t-del-missing", "c2", create, Op.UPSERT, null, "{\"a\":1}"));
    assertEquals("applied", log.awaitOutcome(create, WAIT));
    assertEquals(2L, version(create));
  }

  /**
   * The log and receipts are written with COPY in text format: a value holding its separators and
   * escapes (tab, newline, carriage return, backslash, a literal {@code \\N}) must come back as it
   * was sent, in {@code records} and {@code change_log}; text columns (a receipt's error message
   * may hold anything) take every separator and escape of the format.
   */
  @Test
  void valuesHoldingCopySeparatorsAndEscapesRoundTrip() throws Exception {
    String data = "{\"s\":\"a\\tb\\nc\\rd\\\\e \\\\N\\u0001 f\\\"g\",\"\\\\N\":null}";
    UUID id = UUID.randomUUID();
    String client = "c1";
    log.send(env("t-copy-escapes", client, id, Op.UPSERT, null, data));
    assertEquals("applied", log.awaitOutcome(id, WAIT));
    assertEquals(
        LogFixture.obj(data),
        LogFixture.obj(
            (String) log.scalar("SELECT data::text FROM change_log WHERE mutation_id = ?", id)));
    assertEquals(
        LogFixture.obj(data),
        LogFixture.obj(
            (String)
                log.scalar("SELECT data::text FROM records WHERE tenant = ?", "t-copy-escapes")));
    assertEquals(
        client, log.scalar("SELECT client_id FROM mutation_outcomes WHERE mutation_id = ?", id));
    // The COPY text format itself (every separator, surrogate pairs on chunk boundaries, a
    // failure mid-COPY) is tested in change-log-store's CopyRowsTest.
  }

  @Test
  void deleteAfterDeleteIsAppliedWithTheTombstonesVersion() {
    String t = "t-del-del";
    UUID create = UUID.randomUUID();
    UUID d1 = UUID.randomUUID();
    UUID d2 = UUID.randomUUID();
    log.send(
        env(t, "c1", create, Op.UPSERT, null, "{\"a\":1}"),
        env(t, "c1", d1, Op.DELETE, 1L, null),
        env(t, "c2", d2, Op.DELETE, 1L, null));
    assertEquals("applied", log.awaitOutcome(d2, WAIT));
    assertEquals("applied", log.awaitOutcome(d1, WAIT));
    assertEquals(2L, version(d1));
    assertEquals(2L, version(d2));
    assertEquals(2, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", t));
  }

  @Test
  void createAndDeleteInOnePushBySameDeviceEndsDeleted() {
    String t = "t-create-delete";
    UUID create = UUID.randomUUID();
    UUID del = UUID.randomUUID();
    // Offline: the device never saw a server version, so both carry no base.
    log.send(
        env(t, "dev", create, Op.UPSERT, null, "{\"a\":1}"),
        env(t, "dev", del, Op.DELETE, null, null));
    assertEquals("applied", log.awaitOutcome(del, WAIT));
    assertEquals(true, record(t, "deleted"));
    assertEquals(2L, record(t, "version"));
  }

  @Test
  void aDeviceNeverConflictsWithItselfButDoesWithOthers() {
    String t = "t-self";
    UUID create = UUID.randomUUID();
    UUID p1 = UUID.randomUUID();
    UUID p2 = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    // Two offline edits of the same field on base 1: the second overwrites the device's own first.
    log.send(
        env(t, "dev", create, Op.UPSERT, null, "{\"title\":\"a\"}"),
        env(t, "dev", p1, Op.PATCH, 1L, "{\"title\":\"b\"}"),
        env(t, "dev", p2, Op.PATCH, 1L, "{\"title\":\"c\"}"));
    assertEquals("applied", log.awaitOutcome(p2, WAIT));
    assertEquals("applied", log.awaitOutcome(p1, WAIT));
    assertEquals("c", record(t, "data->>'title'"));
    // Another device on base 1: the server changed title since, by someone else.
    log.send(env(t, "other", other, Op.PATCH, 1L, "{\"title\":\"x\"}"));
    assertEquals("merged", log.awaitOutcome(other, WAIT));
    assertEquals("c", record(t, "data->>'title'"));
    assertEquals("dev", record(t, "field_writers->>'title'"));
  }

  @Test
  void patchAfterDeleteRestoresForTheDeleterAndConflictsForOthers() {
    String t = "t-patch-del";
    UUID create = UUID.randomUUID();
    UUID del = UUID.randomUUID();
    UUID otherPatch = UUID.randomUUID();
    UUID ownPatch = UUID.randomUUID();
    log.send(
        env(t, "dev", create, Op.UPSERT, null, "{\"a\":1}"),
        env(t, "dev", del, Op.DELETE, 1L, null),
        env(t, "other", otherPatch, Op.PATCH, 1L, "{\"b\":2}"));
    assertEquals("merged", log.awaitOutcome(otherPatch, WAIT), "server-wins keeps it deleted");
    assertEquals(true, record(t, "deleted"));
    log.send(env(t, "dev", ownPatch, Op.PATCH, 1L, "{\"c\":3}"));
    assertEquals("applied", log.awaitOutcome(ownPatch, WAIT));
    assertEquals(false, record(t, "deleted"));
    assertEquals(3L, version(ownPatch));
  }

  @Test
  void baseVersionAheadOfTheServerIsRejected() {
    String t = "t-ahead";
    UUID create = UUID.randomUUID();
    UUID ahead = UUID.randomUUID();
    log.send(
        env(t, "dev", create, Op.UPSERT, null, "{\"a\":1}"),
        env(t, "dev", ahead, Op.PATCH, 7L, "{\"a\":2}"));
    assertEquals("rejected", log.awaitOutcome(ahead, WAIT));
    assertEquals("conflict", code(ahead));
  }

  @Test
  void duplicateMutationIdInsideOnePushAppliesOnce() {
    String t = "t-dup";
    UUID id = UUID.randomUUID();
    UUID next = UUID.randomUUID();
    log.send(
        env(t, "dev", id, Op.UPSERT, null, "{\"a\":1}"),
        env(t, "dev", id, Op.UPSERT, null, "{\"a\":999}"),
        env(t, "dev", next, Op.PATCH, 1L, "{\"b\":1}"));
    assertEquals("applied", log.awaitOutcome(next, WAIT));
    assertEquals(1, log.count("SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", id));
    assertEquals("1", record(t, "data->>'a'"));
    assertEquals(2L, record(t, "version"));
  }

  @Test
  void nulInAStringValueIsRejectedAndTheRestOfTheBatchApplied() {
    poisonAmongGoodOnes("t-nul-value", "{\"title\":\"x\\u0000y\"}");
  }

  @Test
  void nulInAFieldNameIsRejectedAndTheRestOfTheBatchApplied() {
    poisonAmongGoodOnes("t-nul-name", "{\"ti\\u0000tle\":\"x\"}");
  }

  private void poisonAmongGoodOnes(String t, String poisonData) {
    List<MutationEnvelope> batch = new ArrayList<>();
    List<UUID> good = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      UUID id = UUID.randomUUID();
      good.add(id);
      batch.add(
          envelope(t, "dev", mutation(id, "notes", "g" + i, Op.UPSERT, null, "{\"i\":" + i + "}")));
    }
    UUID poison = UUID.randomUUID();
    batch.add(
        20, envelope(t, "dev", mutation(poison, "notes", "bad", Op.UPSERT, null, poisonData)));
    log.send(batch);
    assertEquals("rejected", log.awaitOutcome(poison, WAIT));
    String code = code(poison);
    assertTrue(
        code.equals("unstorable_value") || code.equals("invalid_request"), "code was " + code);
    for (UUID id : good) {
      assertEquals("applied", log.awaitOutcome(id, WAIT));
      assertEquals(1, log.count("SELECT count(*) FROM change_log WHERE mutation_id = ?", id));
    }
    assertEquals(
        0, log.count("SELECT count(*) FROM records WHERE tenant = ? AND record_id = 'bad'", t));
    if (code.equals("unstorable_value")) {
      List<ConsumerRecord<String, byte[]>> dlq = ApplyLoopTest.readAll(Topics.MUTATIONS_DLQ, 1);
      assertTrue(
          dlq.stream()
              .anyMatch(
                  r ->
                      new String(r.value(), StandardCharsets.UTF_8).contains(poison.toString())
                          && new String(
                                  r.headers().lastHeader(DeadLetters.REASON).value(),
                                  StandardCharsets.UTF_8)
                              .startsWith("unstorable_value")),
          "the poisoned mutation is in the DLQ with its reason");
    }
  }

  @Test
  void aPatchThatWouldGrowTheRecordPastTheLimitIsRejected() {
    String t = "t-too-large";
    String half = "x".repeat(150_000); // each patch is within the 256 KiB limit, both are not
    UUID create = UUID.randomUUID();
    UUID grow = UUID.randomUUID();
    log.send(
        env(t, "dev", create, Op.UPSERT, null, "{\"a\":\"" + half + "\"}"),
        env(t, "dev", grow, Op.PATCH, 1L, "{\"b\":\"" + half + "\"}"));
    assertEquals("rejected", log.awaitOutcome(grow, WAIT));
    assertEquals("record_too_large", code(grow));
    assertEquals(1L, record(t, "version"));
  }

  @Test
  void everyConnectionTerminatedMidStreamLosesAndDoublesNothing() throws Exception {
    String t = "t-terminate";
    int n = 600;
    List<UUID> ids = new ArrayList<>();
    List<MutationEnvelope> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      all.add(
          envelope(
              t,
              "dev",
              mutation(
                  id,
                  "counters",
                  "k" + (i % 30),
                  i < 30 ? Op.UPSERT : Op.PATCH,
                  null,
                  "{\"i\":" + i + "}")));
    }
    for (int round = 0; round < 3; round++) {
      log.send(all.subList(round * n / 3, (round + 1) * n / 3));
      terminateEveryOtherBackend();
      Thread.sleep(200);
    }
    assertEquals(
        n,
        log.awaitCount(
            n,
            Duration.ofSeconds(60),
            "SELECT count(*) FROM mutation_outcomes WHERE tenant = ?",
            t));
    assertEquals(
        n,
        log.count("SELECT count(DISTINCT mutation_id) FROM mutation_outcomes WHERE tenant = ?", t));
    // Exactly once: one change per mutation, versions 1..k per record without gaps.
    assertEquals(n, log.count("SELECT count(*) FROM change_log WHERE tenant = ?", t));
    assertEquals(
        0,
        log.count(
            "SELECT count(*) FROM (SELECT record_id, max(version) m, count(*) c FROM change_log"
                + " WHERE tenant = ? GROUP BY record_id) x WHERE m <> c",
            t));
  }

  static void terminateEveryOtherBackend() throws Exception {
    try (Connection c = log.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE pid <> pg_backend_pid() AND datname = current_database()");
    }
  }
}
