package io.syncforge.changelog.store.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.changelog.store.LogReader.Entry;
import io.syncforge.changelog.store.LogReader.LogState;
import io.syncforge.changelog.store.LogReader.Receipt;
import io.syncforge.changelog.store.LogReader.Rows;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.OutcomeStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contract between the change log's one writer and its readers (issue 17): what the writer
 * leaves in the tables, read back through {@link LogReader} exactly as sync-api reads it, as the
 * read-only role {@code sync_reader}. change-log-service's tests run it against its in-process
 * writer fed from Kafka, sync-api's against pushes through its API to the packaged writer; a change
 * on either side that breaks what the other relies on fails both.
 *
 * <p>A subclass supplies {@link #write} (mutations of one device, returning once each has a final
 * outcome) and {@link #superuser} (a connection to the log's database). Every test uses a fresh
 * tenant.
 */
public abstract class ChangeLogConformance {

  private static final ObjectMapper JSON = Json.newMapper();

  /**
   * Writes {@code mutations} of device {@code clientId} of {@code tenant} through the service under
   * test, in order, and returns once every one of them has a final outcome.
   */
  protected abstract void write(String tenant, String clientId, List<Mutation> mutations)
      throws Exception;

  /** A superuser connection to the database of the change log. */
  protected abstract Connection superuser() throws SQLException;

  /** Runs {@code body} on a connection that has only the grants of {@code sync_reader}. */
  private <T> T asReader(ReaderCall<T> body) throws Exception {
    try (Connection c = superuser()) {
      try (Statement s = c.createStatement()) {
        s.execute("SET ROLE sync_reader");
      }
      c.setAutoCommit(false);
      try {
        return body.call(c);
      } finally {
        c.rollback();
      }
    }
  }

  @FunctionalInterface
  private interface ReaderCall<T> {
    T call(Connection c) throws Exception;
  }

  private static String tenant(String what) {
    return "conf-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static ObjectNode obj(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Mutation m(UUID id, String record, Op op, Long base, String data) {
    return new Mutation(id, "notes", record, op, base, data == null ? null : obj(data), null);
  }

  /** Opens the rows of one partition's range {@code [from, upto)}. */
  @FunctionalInterface
  private interface RangeQuery<T> {
    Rows<T> open(int p, long from, long upto) throws SQLException;
  }

  /** Every row {@code query} finds below the writer's positions, in log order per partition. */
  private static <T> List<T> all(LogState state, RangeQuery<T> query) throws SQLException {
    List<T> out = new ArrayList<>();
    for (int p = 0; p < state.epoch().partitions(); p++) {
      try (Rows<T> rows = query.open(p, 0, state.positions()[p])) {
        for (T row = rows.next(); row != null; row = rows.next()) {
          out.add(row);
        }
      }
    }
    return out;
  }

  private static List<Entry> allChanges(Connection c, String tenant, LogState state)
      throws SQLException {
    return all(state, (p, f, u) -> LogReader.changes(c, tenant, p, f, u, null, 100_000));
  }

  private static List<Receipt> allReceipts(
      Connection c, String tenant, String clientId, LogState state) throws SQLException {
    return all(state, (p, f, u) -> LogReader.receipts(c, tenant, clientId, p, f, u, 100_000));
  }

  @Test
  void everyMutationHasExactlyOneFinalOutcomeAsTheProtocolSays() throws Exception {
    String tenant = tenant("outcomes");
    UUID create = UUID.randomUUID();
    UUID patch = UUID.randomUUID();
    UUID deleteMissing = UUID.randomUUID();
    UUID patchMissing = UUID.randomUUID();
    write(
        tenant,
        "dev-a",
        List.of(
            m(create, "n1", Op.UPSERT, null, "{\"title\":\"a\",\"n\":1}"),
            m(patch, "n1", Op.PATCH, 1L, "{\"n\":2}"),
            m(deleteMissing, "never", Op.DELETE, null, null),
            m(patchMissing, "missing", Op.PATCH, 1L, "{\"n\":1}")));
    Map<UUID, MutationOutcome> out =
        asReader(
            c ->
                LogReader.outcomes(
                    c, tenant, "dev-a", List.of(create, patch, deleteMissing, patchMissing)));
    assertEquals(4, out.size(), "one outcome per mutation: " + out);
    assertEquals(OutcomeStatus.APPLIED, out.get(create).status());
    assertEquals(1L, out.get(create).version());
    assertEquals(OutcomeStatus.APPLIED, out.get(patch).status());
    assertEquals(2L, out.get(patch).version());
    // sync-protocol 7a: a delete of a record that never existed writes a tombstone.
    assertEquals(OutcomeStatus.APPLIED, out.get(deleteMissing).status());
    assertNotNull(out.get(deleteMissing).version());
    MutationOutcome rejected = out.get(patchMissing);
    assertEquals(OutcomeStatus.REJECTED, rejected.status());
    assertNull(rejected.version(), "a rejection carries no version");
    assertEquals(ErrorCode.NOT_FOUND.code(), rejected.error().code());
    for (MutationOutcome o : out.values()) {
      assertEquals("notes", o.collection());
      assertNull(o.conflicts(), "no conflicts: absent, not an empty list");
    }
  }

  @Test
  void theLogReplaysToTheRecordsTableAndVersionsStrictlyIncrease() throws Exception {
    String tenant = tenant("replay");
    List<Mutation> ms = new ArrayList<>();
    Map<String, Long> version = new HashMap<>();
    for (int i = 0; i < 5; i++) {
      for (String r : List.of("r1", "r2", "r3")) {
        Long base = version.get(r);
        ms.add(m(UUID.randomUUID(), r, Op.UPSERT, base, "{\"i\":" + i + ",\"r\":\"" + r + "\"}"));
        version.merge(r, 1L, Long::sum);
      }
    }
    ms.add(m(UUID.randomUUID(), "r2", Op.DELETE, 5L, null));
    write(tenant, "dev-a", ms);
    asReader(
        c -> {
          LogState state = LogReader.state(c, 12);
          List<Entry> changes = allChanges(c, tenant, state);
          assertEquals(16, changes.size(), "one entry per change: " + changes);
          Map<String, Change> last = new LinkedHashMap<>();
          Map<String, Long> seen = new HashMap<>();
          for (Entry e : changes) {
            assertTrue(e.offset() < state.positions()[e.partition()], "position covers " + e);
            Change ch = e.change();
            Long before = seen.put(ch.recordId(), ch.version());
            assertTrue(before == null || ch.version() > before, "versions increase: " + ch);
            last.put(ch.recordId(), ch);
          }
          assertTrue(last.get("r2").deleted());
          assertNull(last.get("r2").data(), "a tombstone carries no data to devices");
          assertEquals(6L, last.get("r2").version());
          // The snapshot (records, keyset pages of 2) is the last live change of every record.
          Map<String, Change> snapshot = new LinkedHashMap<>();
          String afterC = null;
          String afterR = null;
          while (true) {
            int n = 0;
            try (Rows<Change> page = LogReader.records(c, tenant, null, afterC, afterR, 2)) {
              for (Change ch = page.next(); ch != null; ch = page.next()) {
                assertFalse(ch.deleted());
                assertNull(snapshot.put(ch.recordId(), ch), "each record once");
                afterC = ch.collection();
                afterR = ch.recordId();
                n++;
              }
            }
            if (n < 2) {
              break;
            }
          }
          assertEquals(Set.of("r1", "r3"), snapshot.keySet());
          for (Change ch : snapshot.values()) {
            Change l = last.get(ch.recordId());
            assertEquals(l.version(), ch.version());
            assertEquals(l.data(), ch.data());
            assertEquals(obj("{\"i\":4,\"r\":\"" + ch.recordId() + "\"}"), ch.data());
          }
          return null;
        });
  }

  @Test
  void receiptsBelongToTheirDeviceAndSitAtTheirMutationsOffset() throws Exception {
    String tenant = tenant("receipts");
    UUID a1 = UUID.randomUUID();
    UUID a2 = UUID.randomUUID();
    UUID b1 = UUID.randomUUID();
    write(tenant, "dev-a", List.of(m(a1, "x", Op.UPSERT, null, "{\"v\":1}")));
    write(tenant, "dev-b", List.of(m(b1, "y", Op.UPSERT, null, "{\"v\":1}")));
    write(tenant, "dev-a", List.of(m(a2, "x", Op.PATCH, 1L, "{\"v\":2}")));
    asReader(
        c -> {
          LogState state = LogReader.state(c, 12);
          List<Receipt> ra = allReceipts(c, tenant, "dev-a", state);
          List<Receipt> rb = allReceipts(c, tenant, "dev-b", state);
          assertEquals(
              List.of(a1, a2), ra.stream().map(r -> r.outcome().mutationId()).toList(), "" + ra);
          assertEquals(List.of(b1), rb.stream().map(r -> r.outcome().mutationId()).toList());
          // A receipt sits at the log offset of its change: a pull that delivers the change
          // delivers its receipt on the same page boundary.
          Set<Long> changeOffsets = new HashSet<>();
          for (Entry e : allChanges(c, tenant, state)) {
            changeOffsets.add(e.offset());
          }
          for (Receipt r : ra) {
            assertTrue(changeOffsets.contains(r.offset()), "receipt at a change's offset: " + r);
          }
          Map<String, Set<Integer>> nonEmpty =
              LogReader.nonEmpty(
                  c,
                  tenant,
                  null,
                  List.of("dev-a", "dev-b", "dev-c"),
                  partitions(state),
                  new long[state.epoch().partitions()],
                  state.positions());
          assertFalse(nonEmpty.getOrDefault(null, Set.of()).isEmpty(), "changes found");
          assertFalse(nonEmpty.getOrDefault("dev-a", Set.of()).isEmpty());
          assertFalse(nonEmpty.getOrDefault("dev-b", Set.of()).isEmpty());
          assertTrue(nonEmpty.getOrDefault("dev-c", Set.of()).isEmpty(), "no receipts of dev-c");
          return null;
        });
  }

  private static int[] partitions(LogState state) {
    int[] ps = new int[state.epoch().partitions()];
    for (int p = 0; p < ps.length; p++) {
      ps[p] = p;
    }
    return ps;
  }

  @Test
  void aResentMutationIsAppliedOnceAndKeepsItsFirstOutcome() throws Exception {
    String tenant = tenant("dedupe");
    UUID id = UUID.randomUUID();
    Mutation first = m(id, "d", Op.UPSERT, null, "{\"v\":1}");
    write(tenant, "dev-a", List.of(first));
    // The same mutation id again (a device that never saw its receipt), then an ordinary edit of
    // the same record: same key, same partition, so once it is final the resend was read too.
    write(tenant, "dev-a", List.of(first));
    write(tenant, "dev-a", List.of(m(UUID.randomUUID(), "d", Op.PATCH, 1L, "{\"w\":2}")));
    asReader(
        c -> {
          LogState state = LogReader.state(c, 12);
          List<Entry> changes = allChanges(c, tenant, state);
          assertEquals(2, changes.size(), "the resend wrote nothing: " + changes);
          assertEquals(1L, LogReader.outcomes(c, tenant, "dev-a", List.of(id)).get(id).version());
          assertEquals(2, allReceipts(c, tenant, "dev-a", state).size(), "no receipt for a resend");
          return null;
        });
  }

  @Test
  void valuesComeBackExactlyAsWritten() throws Exception {
    String tenant = tenant("values");
    String data =
        "{\"tab\":\"a\\tb\",\"nl\":\"a\\nb\\r\",\"bs\":\"\\\\N \\\\. \\\\\",\"u\":\"ünï €𝄞\","
            + "\"ctl\":\"\\u0001\\u001f\",\"deep\":{\"a\":[1,[2,[3,{\"b\":null}]]]},"
            + "\"big\":-9223372036854775808,\"f\":-1.5e-7,\"t\":true,\"empty\":{},\"list\":[]}";
    UUID id = UUID.randomUUID();
    write(tenant, "dev-a", List.of(m(id, "v", Op.UPSERT, null, data)));
    asReader(
        c -> {
          LogState state = LogReader.state(c, 12);
          List<Entry> changes = allChanges(c, tenant, state);
          assertEquals(1, changes.size());
          assertEquals(obj(data), changes.get(0).change().data());
          try (Rows<Change> page = LogReader.records(c, tenant, null, null, null, 10)) {
            assertEquals(obj(data), page.next().data());
          }
          return null;
        });
  }

  @Test
  void theEpochAndTheHorizonAreReadable() throws Exception {
    String tenant = tenant("epoch");
    write(tenant, "dev-a", List.of(m(UUID.randomUUID(), "e", Op.UPSERT, null, "{\"v\":1}")));
    asReader(
        c -> {
          LogState state = LogReader.state(c, 12);
          assertTrue(state.epoch().epoch() >= 1);
          assertEquals(state.epoch().partitions(), state.positions().length);
          assertEquals(state.epoch().partitions(), state.horizon().minOffsets().length);
          long[] positions = LogReader.positions(c, state.epoch().partitions());
          for (int p = 0; p < positions.length; p++) {
            assertTrue(positions[p] >= state.positions()[p], "positions only move forward");
            assertTrue(state.horizon().minOffsets()[p] <= positions[p]);
          }
          assertEquals(state.epoch(), LogReader.epoch(c, 12));
          return null;
        });
  }
}
