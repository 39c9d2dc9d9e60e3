package io.syncforge.syncapi.pull;

import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.TestSupport;
import io.syncforge.syncapi.log.ReadTransactions;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 13 item 2: woken pulls of a tenant are read together ({@link PullReader#readAll}, one
 * transaction, change rows shared between pulls with the same cursor and filter). Every answer of
 * such a batch must be exactly the page the same pull gets alone in the same snapshot, and each
 * client id gets its own receipts, all of them and no other device's. Data: three devices pushing
 * upserts, rejected patches (a receipt without a change) and overwrites of each other's records,
 * applied by the test writer into the real PostgreSQL.
 */
@QuarkusTest
@WithDevInfra
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedReadTest {

  private static final List<String> DEVICES = List.of("dev-a", "dev-b", "dev-c");
  private static final List<String> NOTES = List.of("notes");

  @Inject CursorCodec codec;

  private final String tenant = TestSupport.tenant("shared");
  private final Map<String, Set<String>> pushed = new HashMap<>();
  private final Set<String> records = new HashSet<>();

  private synchronized void write() {
    if (!pushed.isEmpty()) {
      return;
    }
    for (int round = 0; round < 2; round++) {
      for (String device : DEVICES) {
        List<String> mutations = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          mutations.add(add(device, "tasks", device + "-t" + (round * 6 + i), "upsert"));
        }
        mutations.add(add(device, "notes", device + "-n" + round, "upsert"));
        mutations.add(add(device, "tasks", "missing-" + device + round, "patch"));
        // Overwrite another device's record: the page keeps only the newest version.
        String other = DEVICES.get((DEVICES.indexOf(device) + 1) % DEVICES.size());
        mutations.add(add(device, "tasks", other + "-t" + round, "upsert"));
        pushUntilFinal(tenant, push(device, mutations.toArray(String[]::new)));
      }
    }
  }

  private String add(String device, String collection, String recordId, String op) {
    UUID id = UUID.randomUUID();
    pushed.computeIfAbsent(device, k -> new HashSet<>()).add(id.toString());
    if (!op.equals("patch")) {
      records.add(collection + "/" + recordId);
    }
    return mutation(id, collection, recordId, op, "{\"by\":\"" + device + "\"}");
  }

  @Test
  void eachAnswerOfABatchIsThePageThatPullGetsAlone() throws Exception {
    write();
    List<String> cursors = cursors(null, null, 5, PullReader.Budget.DEFAULT);
    cursors.addAll(cursors(null, "dev-a", 4, new PullReader.Budget(700, 2)));
    List<String> notesCursors = cursors(NOTES, "dev-b", 1, PullReader.Budget.DEFAULT);
    List<PullReader.Request> batch = new ArrayList<>();
    for (String cursor : cursors) {
      for (String client : new String[] {null, "dev-a", "dev-b", "dev-c"}) {
        for (int limit : new int[] {2, 500}) {
          batch.add(new PullReader.Request(tenant, cursor, null, limit, client));
        }
      }
    }
    for (String cursor : notesCursors) {
      batch.add(new PullReader.Request(tenant, cursor, NOTES, 3, "dev-c"));
      batch.add(new PullReader.Request(tenant, cursor, NOTES, 3, null));
    }
    batch.add(batch.get(3)); // an equal request: the same answer
    // Refused cursors refuse only their own request.
    batch.add(new PullReader.Request(tenant, cursors.get(2), NOTES, 3, "dev-a"));
    batch.add(new PullReader.Request(tenant, "not-a-cursor", null, 3, "dev-a"));
    int compared = 0;
    PullReader.Budget[] budgets = {
      PullReader.Budget.DEFAULT,
      new PullReader.Budget(600, 2),
      new PullReader.Budget(1, 1),
      new PullReader.Budget(2_000, 1_000)
    };
    for (PullReader.Budget budget : budgets) {
      try (Connection c = TestSupport.superuser()) {
        compared +=
            ReadTransactions.inSnapshot(
                c,
                conn -> {
                  List<PullReader.Answer> answers =
                      PullReader.readAll(conn, codec, 12, batch, budget);
                  assertEquals(batch.size(), answers.size());
                  for (int i = 0; i < batch.size(); i++) {
                    assertSame(alone(conn, batch.get(i), budget), answers.get(i), i + " " + budget);
                  }
                  return answers.size();
                });
      }
    }
    assertTrue(compared > 100, "compared " + compared);
  }

  @Test
  void everyDeviceGetsAllItsReceiptsAndNoOthers() throws Exception {
    write();
    List<PullReader.Request> batch = new ArrayList<>();
    for (String device : DEVICES) {
      batch.add(new PullReader.Request(tenant, null, null, 5000, device));
    }
    batch.add(new PullReader.Request(tenant, null, null, 5000, null));
    batch.add(new PullReader.Request(tenant, null, null, 5000, "dev-a"));
    try (Connection c = TestSupport.superuser()) {
      List<PullReader.Answer> answers =
          ReadTransactions.inSnapshot(
              c, conn -> PullReader.readAll(conn, codec, 12, batch, PullReader.Budget.DEFAULT));
      for (int i = 0; i < batch.size(); i++) {
        PullResponse r = answers.get(i).get().response();
        String device = batch.get(i).clientId();
        Set<String> receipts = new HashSet<>();
        r.receipts().forEach(o -> receipts.add(o.mutationId().toString()));
        assertEquals(
            device == null ? Set.of() : pushed.get(device), receipts, "receipts of " + device);
        Set<String> changed = new HashSet<>();
        r.changes().forEach(ch -> changed.add(ch.collection() + "/" + ch.recordId()));
        assertEquals(records, changed, "changes seen by " + device);
        assertEquals(records.size(), r.changes().size(), "one change per record");
      }
    }
  }

  /** Cursors of the pages of one paging from the start (the start itself included). */
  private List<String> cursors(
      List<String> collections, String client, int limit, PullReader.Budget budget)
      throws Exception {
    List<String> out = new ArrayList<>();
    out.add(null);
    try (Connection c = TestSupport.superuser()) {
      String cursor = null;
      boolean more = true;
      while (more) {
        PullReader.Request r = new PullReader.Request(tenant, cursor, collections, limit, client);
        PullResponse page =
            ReadTransactions.inSnapshot(c, conn -> PullReader.read(conn, codec, 12, r, budget))
                .response();
        cursor = page.cursor();
        out.add(cursor);
        more = page.hasMore();
        assertTrue(out.size() < 200, "paging ends");
      }
    }
    return out;
  }

  private PullReader.Answer alone(Connection c, PullReader.Request r, PullReader.Budget budget)
      throws java.sql.SQLException {
    try {
      return new PullReader.Answer(PullReader.read(c, codec, 12, r, budget), null);
    } catch (ProblemException e) {
      return new PullReader.Answer(null, e);
    }
  }

  private static void assertSame(
      PullReader.Answer expected, PullReader.Answer actual, String what) {
    if (expected.problem() != null) {
      assertNull(actual.result(), what);
      ErrorCode code = ((ProblemException) expected.problem()).code();
      assertEquals(code, ((ProblemException) actual.problem()).code(), what);
      return;
    }
    assertNull(actual.problem(), what);
    assertNotNull(actual.result(), what);
    PullResponse e = expected.result().response();
    PullResponse a = actual.result().response();
    List<Change> changes = a.changes();
    List<MutationOutcome> receipts = a.receipts();
    assertEquals(e.changes(), changes, what);
    assertEquals(e.receipts(), receipts, what);
    assertEquals(e.cursor(), a.cursor(), what);
    assertEquals(e.hasMore(), a.hasMore(), what);
    assertEquals(expected.result().empty(), actual.result().empty(), what);
    assertArrayEquals(expected.result().next(), actual.result().next(), what);
  }
}
