package io.syncforge.changelog.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.LogFixture;
import io.syncforge.changelog.conflict.ConflictResolver;
import io.syncforge.changelog.conflict.Decision;
import io.syncforge.changelog.store.RecordState;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.protocol.validation.MutationValidator;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: generated multi-device mutation histories (every op, missing and deleted records,
 * stale, current and future base versions, duplicate ids, unusual but valid JSON and values
 * PostgreSQL refuses) applied through the REAL applier and PostgreSQL, in random batch splits,
 * checked against a reference model (the conflict rules applied in memory, one mutation at a time,
 * with PostgreSQL refusing NUL characters): every mutation gets exactly one final outcome equal to
 * the model's, versions strictly increase per record, the change log replays to the records table,
 * no batch needed a retry (the transient-fault budget: a batch is retried only after a transient
 * fault, so 0 times on a healthy database), a batch without poison commits in one transaction, and
 * isolating poison stays within {@link IsolatingApplier#recordAttemptBudget} per record.
 *
 * <p>jqwik generates the histories; Quarkus's test extension does not run inside jqwik's engine, so
 * the tries run in one JUnit test with a fixed seed per try, printed on failure to reproduce.
 */
@QuarkusTest
@WithDevInfra
class WriterPropertyTest {

  private static final int TRIES = 40;
  private static final String[] CLIENTS = {"dev-a", "dev-b", "dev-c"};
  private static final String[] RECORDS = {"r0", "r1", "r2"};

  /** Partitions the running loop never sees (the topic has 12): each try starts at offset 0. */
  private static final AtomicInteger PARTITION = new AtomicInteger(5000);

  private static final LogFixture log = LogFixture.shared();
  private final ConflictResolver rules = new ConflictResolver();
  private final MutationValidator validator = new MutationValidator(262_144, true);

  @Inject IsolatingApplier applier;

  enum Base {
    NONE,
    STALE,
    CURRENT,
    AHEAD
  }

  /** One generated step: who does what to which record, on which base, with which data. */
  record Step(int client, int record, Op op, Base base, int data, int dupOf) {}

  private static final String[] DATA = {
    "{\"a\":1}",
    "{\"a\":2,\"b\":\"x\"}",
    "{}",
    "{\"b\":null}",
    "{\"\u00fc\":\"\ud83d\ude00\",\"empty\":\"\"}",
    "{\"n\":{\"m\":{\"o\":{\"p\":[1,[2,[3]],{\"q\":true}]}}}}",
    "{\"a\":\"x\\u0000y\"}",
    "{\"a\\u0000\":1}",
    "{\"c\":-0.5,\"d\":[],\"e\":false}",
  };

  static Arbitrary<List<Step>> histories() {
    Arbitrary<Step> step =
        Combinators.combine(
                Arbitraries.integers().between(0, CLIENTS.length - 1),
                Arbitraries.integers().between(0, RECORDS.length - 1),
                Arbitraries.of(Op.UPSERT, Op.PATCH, Op.DELETE),
                Arbitraries.of(Base.class),
                Arbitraries.integers().between(0, DATA.length - 1),
                Arbitraries.integers().between(-12, 30))
            .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(30);
  }

  @Test
  void generatedHistoriesMatchTheModel() throws Exception {
    // sampleStream() is jqwik's way to generate outside its own engine; a failure prints the
    // whole history, which is all it takes to reproduce it.
    List<List<Step>> histories = histories().sampleStream().limit(TRIES).toList();
    for (int t = 0; t < TRIES; t++) {
      long seed = 0x5EED_0000L + t;
      List<Step> steps = histories.get(t);
      try {
        check(steps, new Random(seed ^ 0xBA7C4L), PARTITION.getAndIncrement());
      } catch (AssertionError | Exception e) {
        fail("try " + t + " (seed " + seed + ") failed for " + steps + ": " + e, e);
      }
    }
  }

  private void check(List<Step> steps, Random random, int partition) throws Exception {
    String tenant = "t-prop-" + partition;
    Instant received = Instant.parse("2026-12-01T00:00:00Z");
    Map<String, RecordState> model = new HashMap<>();
    Map<String, Object[]> modelOutcomes = new HashMap<>(); // "client/id" -> {status, version, code}
    List<MutationEnvelope> envelopes = new ArrayList<>();
    for (Step s : steps) {
      String client = CLIENTS[s.client()];
      String rid = RECORDS[s.record()];
      if (s.dupOf() >= 0 && s.dupOf() < envelopes.size()) {
        // A duplicate id: a resend of an earlier mutation (same client, same id, maybe other data).
        MutationEnvelope earlier = envelopes.get(s.dupOf());
        Mutation m = earlier.mutation();
        envelopes.add(
            new MutationEnvelope(
                tenant,
                "user",
                earlier.clientId(),
                new Mutation(
                    m.mutationId(),
                    m.collection(),
                    m.recordId(),
                    s.op(),
                    m.baseVersion(),
                    data(s),
                    null),
                received,
                MutationEnvelope.SOURCE_DEVICE));
        continue;
      }
      RecordState current = model.get(rid);
      long v = current == null ? 0 : current.version();
      Long base =
          switch (s.base()) {
            case NONE -> null;
            case STALE -> v == 0 ? null : (long) (1 + random.nextInt((int) v));
            case CURRENT -> v == 0 ? null : v;
            case AHEAD -> v + 3;
          };
      Mutation m = new Mutation(UUID.randomUUID(), "notes", rid, s.op(), base, data(s), null);
      MutationEnvelope env =
          new MutationEnvelope(tenant, "user", client, m, received, MutationEnvelope.SOURCE_DEVICE);
      envelopes.add(env);
      // The model: one mutation at a time: validation, the rules, and PostgreSQL refusing
      // NUL characters in whatever would be stored (the record or the reported conflicts).
      String key = client + "/" + m.mutationId();
      if (!validator.validate(m, "mutation").isEmpty()) {
        modelOutcomes.put(key, new Object[] {"rejected", null, "invalid_request"});
        continue;
      }
      Decision d = rules.resolve(current, m, ConflictPolicy.SERVER_WINS, received, client, 0);
      if (d instanceof Decision.Reject r) {
        modelOutcomes.put(key, new Object[] {"rejected", null, r.code().code()});
        continue;
      }
      Decision.Accept a = (Decision.Accept) d;
      boolean refused =
          (a.changed() && hasNul(LogFixture.JSON.writeValueAsString(a.state().data())))
              || hasNul(LogFixture.JSON.writeValueAsString(a.conflicts()));
      if (refused) {
        modelOutcomes.put(key, new Object[] {"rejected", null, "unstorable_value"});
        continue;
      }
      if (a.changed()) {
        model.put(rid, a.state());
      }
      modelOutcomes.put(key, new Object[] {a.status().wire(), a.version(), null});
    }

    // The real path: the same records in random batch splits, in offset order.
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < envelopes.size(); i++) {
      MutationEnvelope e = envelopes.get(i);
      records.add(
          new ConsumerRecord<>(
              Topics.MUTATIONS, partition, i, e.key(), LogFixture.JSON.writeValueAsBytes(e)));
    }
    int from = 0;
    AtomicInteger poisoned = new AtomicInteger();
    while (from < records.size()) {
      int to = Math.min(records.size(), from + 1 + random.nextInt(records.size()));
      // A healthy database: no batch may fail (the transient-fault budget is 0 here: a batch is
      // retried only after a transient fault), and isolating poison stays within its budget.
      int n = to - from;
      IsolatingApplier.Isolated done = applier.apply(records.subList(from, to));
      if (done.poisoned() == 0) {
        assertEquals(1, done.attempts(), "a batch without poison commits in one transaction");
      } else {
        assertTrue(
            done.maxRecordAttempts() <= IsolatingApplier.recordAttemptBudget(n),
            "attempts per record " + done.maxRecordAttempts() + " for a batch of " + n);
        assertTrue(
            done.attempts() <= 1 + done.poisoned() * 2 * IsolatingApplier.recordAttemptBudget(n),
            "transactions " + done.attempts() + " for " + done.poisoned() + " poisoned of " + n);
      }
      poisoned.addAndGet(done.poisoned());
      from = to;
    }

    assertEquals(
        modelOutcomes.values().stream().filter(o -> "unstorable_value".equals(o[2])).count(),
        (long) poisoned.get(),
        "every mutation PostgreSQL refuses is isolated once, nothing else");
    try (Connection c = log.connect()) {
      // Exactly one final outcome per distinct mutation, equal to the model's.
      Map<String, Object[]> real = new HashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT client_id, mutation_id, status, version, error_code FROM mutation_outcomes"
                  + " WHERE tenant = ?")) {
        ps.setString(1, tenant);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long version = rs.getLong(4);
            Long ver = rs.wasNull() ? null : version;
            Object[] prev =
                real.put(
                    rs.getString(1) + "/" + rs.getObject(2),
                    new Object[] {rs.getString(3), ver, rs.getString(5)});
            assertTrue(prev == null, "one outcome per mutation");
          }
        }
      }
      assertEquals(modelOutcomes.keySet(), real.keySet(), "every mutation has an outcome");
      for (Map.Entry<String, Object[]> e : modelOutcomes.entrySet()) {
        Object[] want = e.getValue();
        Object[] got = real.get(e.getKey());
        assertEquals(
            java.util.Arrays.toString(want),
            java.util.Arrays.toString(got),
            "outcome of " + e.getKey());
      }
      // Versions strictly increase per record, and the last change is the record's state.
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT record_id, version, data, deleted FROM change_log WHERE tenant = ?"
                  + " ORDER BY record_id, log_offset")) {
        ps.setString(1, tenant);
        Map<String, long[]> last = new HashMap<>();
        Map<String, Object[]> lastState = new HashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String rid = rs.getString(1);
            long v = rs.getLong(2);
            long[] prev = last.get(rid);
            assertTrue(prev == null || v > prev[0], "versions increase for " + rid);
            last.put(rid, new long[] {v});
            lastState.put(
                rid, new Object[] {v, LogFixture.JSON.readTree(rs.getString(3)), rs.getBoolean(4)});
          }
        }
        for (String rid : RECORDS) {
          RecordState want = model.get(rid);
          Object[] logged = lastState.get(rid);
          Object[] row = recordRow(c, tenant, rid);
          if (want == null) {
            assertTrue(logged == null && row == null, rid + " never written");
            continue;
          }
          assertEquals(want.version(), row[0], "version of " + rid);
          assertEquals(want.deleted(), row[2], "deleted of " + rid);
          assertEquals(want.version(), logged[0], "the log's last version of " + rid);
          assertEquals(want.deleted(), logged[2]);
          if (!want.deleted()) {
            assertEquals(want.data(), row[1], "data of " + rid);
            assertEquals(want.data(), logged[1], "the log replays to the record " + rid);
          }
        }
      }
    }
  }

  private static Object[] recordRow(Connection c, String tenant, String rid) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT version, data, deleted FROM records WHERE tenant = ? AND record_id = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, rid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        JsonNode data = LogFixture.JSON.readTree(rs.getString(2));
        return new Object[] {rs.getLong(1), data, rs.getBoolean(3)};
      }
    }
  }

  private static boolean hasNul(String json) {
    return json.contains("\\u0000");
  }

  private static ObjectNode data(Step s) {
    return s.op() == Op.DELETE ? null : LogFixture.obj(DATA[s.data()]);
  }
}
