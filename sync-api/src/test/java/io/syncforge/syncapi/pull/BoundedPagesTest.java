package io.syncforge.syncapi.pull;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.syncapi.TestSupport;
import io.syncforge.syncapi.WithApiTopics;
import io.syncforge.syncapi.log.ReadTransactions;
import io.syncforge.syncapi.snapshot.SnapshotReader;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 13 item 5: pull and snapshot pages are cut by bytes as well as rows, receipts are paged
 * with the changes, and however small the budgets, paging returns exactly the sequence one large
 * page returns. Data: records near the 256 KiB record limit, hundreds of receipts (applied and
 * rejected ones), and another device's changes, all applied by the test writer into the real
 * PostgreSQL.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@WithApiTopics
class BoundedPagesTest {

  private static final String DEVICE = "dev-big";
  private static final int BIG = 20;
  private static final int BIG_CHARS = 262_000; // serialized data just under 256 KiB
  private static final int SMALL = 300;
  private static final int REJECTED = 60;
  private static final int OTHER = 100;
  private static final long DEFAULT_BYTES = 4L << 20;

  @Inject CursorCodec codec;

  private final String tenant = TestSupport.tenant("bounded");
  private int changesWritten;
  private int receiptsWritten;

  /** Writes the data once, on the first test (the application must be up for pushes). */
  private synchronized void write() {
    if (changesWritten > 0) {
      return;
    }
    String blob = "x".repeat(BIG_CHARS);
    List<String> big = new ArrayList<>();
    for (int i = 0; i < BIG; i++) {
      big.add(
          mutation(
              UUID.randomUUID(), "notes", "big-" + i, "upsert", "{\"blob\":\"" + blob + "\"}"));
    }
    for (int i = 0; i < BIG; i += 7) {
      pushAll(DEVICE, big.subList(i, Math.min(BIG, i + 7)));
    }
    List<String> small = new ArrayList<>();
    for (int i = 0; i < SMALL; i++) {
      small.add(mutation(UUID.randomUUID(), "tasks", "s-" + i, "upsert", "{\"n\":" + i + "}"));
    }
    for (int i = 0; i < REJECTED; i++) { // a patch of a missing record: a receipt, no change
      small.add(mutation(UUID.randomUUID(), "tasks", "missing-" + i, "patch", "{\"n\":1}"));
    }
    for (int i = 0; i < small.size(); i += 250) {
      pushAll(DEVICE, small.subList(i, Math.min(small.size(), i + 250)));
    }
    List<String> other = new ArrayList<>();
    for (int i = 0; i < OTHER; i++) {
      other.add(mutation(UUID.randomUUID(), "tasks", "o-" + i, "upsert", "{\"o\":" + i + "}"));
    }
    pushAll("dev-other", other);
    changesWritten = BIG + SMALL + OTHER;
    receiptsWritten = BIG + SMALL + REJECTED;
  }

  private void pushAll(String client, List<String> mutations) {
    Response r = pushUntilFinal(tenant, push(client, mutations.toArray(String[]::new)));
    assertFalse(r.jsonPath().getList("outcomes.status").contains("pending"), "all final");
  }

  @Test
  void httpPullPagesStayWithinTheDefaultBudgetAndLoseNothing() {
    write();
    Set<String> records = new HashSet<>();
    Set<String> receipts = new HashSet<>();
    String cursor = null;
    int pages = 0;
    boolean more = true;
    while (more) {
      var request = as(tenant).header("X-Client-Id", DEVICE).queryParam("limit", 5000);
      if (cursor != null) {
        request.queryParam("cursor", cursor);
      }
      Response r = request.get("/v1/sync/pull");
      r.then().statusCode(200);
      byte[] body = r.asByteArray();
      assertTrue(body.length <= DEFAULT_BYTES + 64 * 1024, "page of " + body.length + " bytes");
      JsonPath page = r.jsonPath();
      List<String> ids = page.getList("changes.recordId");
      List<String> outcomes = page.getList("receipts.mutationId");
      assertTrue(outcomes.size() <= 1000, "receipts per page: " + outcomes.size());
      more = page.getBoolean("hasMore");
      assertTrue(!more || !ids.isEmpty() || !outcomes.isEmpty(), "no empty page with hasMore");
      for (String id : ids) {
        assertTrue(records.add(id), "change delivered twice: " + id);
      }
      for (String id : outcomes) {
        assertTrue(receipts.add(id), "receipt delivered twice: " + id);
      }
      cursor = page.getString("cursor");
      pages++;
      assertTrue(pages < 100, "paging ends");
    }
    assertEquals(changesWritten, records.size());
    assertEquals(receiptsWritten, receipts.size());
    // 20 x 256 KiB do not fit one 4 MiB page.
    assertTrue(pages >= 2, "cut by bytes/receipts: " + pages + " pages");
  }

  @Test
  void httpSnapshotPagesStayWithinTheDefaultBudget() {
    write();
    Set<String> records = new HashSet<>();
    String token = null;
    int pages = 0;
    do {
      var request = as(tenant).queryParam("limit", 5000);
      if (token != null) {
        request.queryParam("pageToken", token);
      }
      Response r = request.get("/v1/sync/snapshot");
      r.then().statusCode(200);
      assertTrue(r.asByteArray().length <= DEFAULT_BYTES + 64 * 1024, "snapshot page size");
      List<String> ids = r.jsonPath().getList("records.recordId");
      assertFalse(ids.isEmpty(), "no empty snapshot page");
      for (String id : ids) {
        assertTrue(records.add(id), "record twice: " + id);
      }
      token = r.jsonPath().getString("nextPageToken");
      pages++;
    } while (token != null && pages < 100);
    assertEquals(changesWritten, records.size());
    assertTrue(pages >= 2, "cut by bytes: " + pages);
  }

  @Test
  void aRecordLargerThanTheBudgetGoesAloneAndTheCursorMoves() throws Exception {
    write();
    PullReader.Budget tiny = new PullReader.Budget(1, 1000);
    List<PullResponse> pages =
        pullAll(new PullReader.Request(tenant, null, null, 5000, null), tiny);
    for (PullResponse page : pages) {
      assertTrue(page.changes().size() <= 1, "one change per page at a 1-byte budget");
    }
    assertEquals(changesWritten, pages.stream().mapToInt(p -> p.changes().size()).sum());
    List<SnapshotPage> snapshot = snapshotAll(5000, 1);
    for (SnapshotPage page : snapshot) {
      assertEquals(1, page.records().size());
    }
    assertEquals(changesWritten, snapshot.size());
  }

  @Test
  void pagingWithAnyBudgetReturnsTheSequenceOfOneLargePage() throws Exception {
    write();
    PullReader.Request all = new PullReader.Request(tenant, null, null, 5000, DEVICE);
    List<PullResponse> one = pullAll(all, new PullReader.Budget(Long.MAX_VALUE, 1_000_000));
    assertEquals(1, one.size(), "one large page");
    List<Change> expectedChanges = one.get(0).changes();
    List<MutationOutcome> expectedReceipts = one.get(0).receipts();
    assertEquals(changesWritten, expectedChanges.size());
    assertEquals(receiptsWritten, expectedReceipts.size());
    List<Change> expectedRecords = snapshotAll(5000, Long.MAX_VALUE).get(0).records();

    Random random = new Random(13);
    long[] byteChoices = {1, 600, 262_100, 700_000, 2_000_000, DEFAULT_BYTES};
    for (int trial = 0; trial < 6; trial++) {
      int limit = 1 + random.nextInt(trial % 2 == 0 ? 5 : 600);
      long maxBytes = byteChoices[random.nextInt(byteChoices.length)];
      int maxReceipts = 1 + random.nextInt(trial % 2 == 0 ? 3 : 400);
      PullReader.Budget budget = new PullReader.Budget(maxBytes, maxReceipts);
      String what = "limit " + limit + ", " + budget;
      List<PullResponse> pages =
          pullAll(new PullReader.Request(tenant, null, null, limit, DEVICE), budget);
      List<Change> changes = new ArrayList<>();
      List<MutationOutcome> receipts = new ArrayList<>();
      for (PullResponse page : pages) {
        assertTrue(page.changes().size() <= limit, what);
        assertTrue(page.receipts().size() <= maxReceipts, what);
        long bytes = 0;
        for (Change c : page.changes()) {
          bytes += LogReader.jsonBytes(c);
        }
        for (MutationOutcome o : page.receipts()) {
          bytes += LogReader.jsonBytes(o);
        }
        // Over the budget only when the page is a single offset (its change and its receipt).
        assertTrue(
            bytes <= maxBytes || (page.changes().size() <= 1 && page.receipts().size() <= 1),
            what + ": page of " + bytes + " bytes");
        changes.addAll(page.changes());
        receipts.addAll(page.receipts());
      }
      assertEquals(expectedChanges, changes, what);
      assertEquals(expectedReceipts, receipts, what);

      int snapshotLimit = 1 + random.nextInt(700);
      List<Change> records = new ArrayList<>();
      for (SnapshotPage page : snapshotAll(snapshotLimit, maxBytes)) {
        records.addAll(page.records());
      }
      assertEquals(expectedRecords, records, "snapshot, limit " + snapshotLimit + ", " + maxBytes);
    }
  }

  /** Pages from the start until hasMore is false; every page with hasMore holds something. */
  private List<PullResponse> pullAll(PullReader.Request first, PullReader.Budget budget)
      throws Exception {
    List<PullResponse> pages = new ArrayList<>();
    PullReader.Request request = first;
    try (Connection c = TestSupport.superuser()) {
      while (true) {
        PullReader.Request r = request;
        PullResponse page =
            ReadTransactions.inSnapshot(c, conn -> PullReader.read(conn, codec, 12, r, budget))
                .response();
        pages.add(page);
        if (!page.hasMore()) {
          return pages;
        }
        assertFalse(page.changes().isEmpty() && page.receipts().isEmpty(), "empty with hasMore");
        assertTrue(pages.size() < 10_000, "paging ends");
        request =
            new PullReader.Request(
                first.tenant(),
                page.cursor(),
                first.collections(),
                first.limit(),
                first.clientId());
      }
    }
  }

  private List<SnapshotPage> snapshotAll(int limit, long maxBytes) throws Exception {
    List<SnapshotPage> pages = new ArrayList<>();
    String token = null;
    try (Connection c = TestSupport.superuser()) {
      do {
        String t = token;
        SnapshotPage page =
            ReadTransactions.inSnapshot(
                c, conn -> SnapshotReader.read(conn, codec, 12, tenant, null, limit, maxBytes, t));
        assertNotNull(page.cursor());
        assertFalse(page.records().isEmpty() && page.nextPageToken() != null, "empty page");
        pages.add(page);
        token = page.nextPageToken();
        assertTrue(pages.size() < 10_000, "paging ends");
      } while (token != null);
    }
    return pages;
  }
}
