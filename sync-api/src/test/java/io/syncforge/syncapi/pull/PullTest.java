package io.syncforge.syncapi.pull;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.SNAPSHOT;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.problem;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static io.syncforge.syncapi.TestSupport.startCursor;
import static io.syncforge.syncapi.TestSupport.upserts;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class PullTest {

  @Inject CursorCodec codec;

  @Test
  void pullReturnsNewestVersionTombstonesAndAnAdvancingCursor() {
    String tenant = TestSupport.tenant("pull");
    pushUntilFinal(
        tenant,
        push(
            "dev-1",
            mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{\"title\":\"a\"}"),
            mutation(UUID.randomUUID(), "tasks", "t-1", "patch", "{\"done\":true}"),
            mutation(UUID.randomUUID(), "notes", "n-1", "upsert", "{\"x\":1}"),
            mutation(UUID.randomUUID(), "notes", "n-1", "delete", null)));
    JsonPath first = as(tenant).get(PULL).then().statusCode(200).extract().jsonPath();
    assertEquals(2, first.getList("changes").size(), first.prettify());
    assertEquals(false, first.getBoolean("hasMore"));
    assertTrue(first.getString("serverTime") != null);
    // One record appears twice in the page: only its newest version is sent.
    int t = first.getList("changes.recordId").indexOf("t-1");
    assertEquals(2, first.getInt("changes[" + t + "].version"));
    assertEquals("a", first.getString("changes[" + t + "].data.title"));
    assertEquals(true, first.getBoolean("changes[" + t + "].data.done"));
    int n = first.getList("changes.recordId").indexOf("n-1");
    assertEquals(true, first.getBoolean("changes[" + n + "].deleted"));
    assertEquals(null, (Object) first.get("changes[" + n + "].data"));
    String cursor = first.getString("cursor");
    pullAt(tenant, "cursor", cursor)
        .then()
        .statusCode(200)
        .body("changes", hasSize(0))
        .body("hasMore", equalTo(false));
    pushUntilFinal(
        tenant, push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-2", "upsert", "{}")));
    pullAt(tenant, "cursor", cursor)
        .then()
        .statusCode(200)
        .body("changes", hasSize(1))
        .body("changes[0].recordId", equalTo("t-2"));
  }

  @Test
  void smallPagesCoverEverythingOnceWithHasMore() {
    String tenant = TestSupport.tenant("pages");
    pushUntilFinal(tenant, push("dev-1", upserts("t-", 9)));
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    boolean more = true;
    while (more) {
      var req = as(tenant).queryParam("limit", 2);
      if (cursor != null) {
        req.queryParam("cursor", cursor);
      }
      JsonPath page = req.get(PULL).then().statusCode(200).extract().jsonPath();
      assertTrue(page.getList("changes").size() <= 2);
      for (String id : page.<String>getList("changes.recordId")) {
        assertTrue(seen.add(id), "delivered twice: " + id);
      }
      cursor = page.getString("cursor");
      more = page.getBoolean("hasMore");
      pages++;
    }
    assertEquals(9, seen.size());
    assertTrue(pages >= 5, "pages: " + pages);
  }

  @Test
  void collectionsFilterAndItsScope() {
    String tenant = TestSupport.tenant("filter");
    pushUntilFinal(
        tenant,
        push(
            "dev-1",
            mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}"),
            mutation(UUID.randomUUID(), "notes", "n-1", "upsert", "{}")));
    String cursor =
        pullAt(tenant, "collections", "notes")
            .then()
            .statusCode(200)
            .body("changes", hasSize(1))
            .body("changes[0].collection", equalTo("notes"))
            .extract()
            .path("cursor");
    // Same filter written differently: same scope.
    as(tenant)
        .queryParam("collections", "notes,notes")
        .queryParam("cursor", cursor)
        .get(PULL)
        .then()
        .statusCode(200);
    problem(
            as(tenant)
                .queryParam("collections", "tasks,notes")
                .queryParam("cursor", cursor)
                .get(PULL),
            410,
            "scope_changed")
        .body("resetReason", equalTo("scope_changed"));
    problem(pullAt(tenant, "collections", "widgets"), 422, "unknown_collection");
    problem(pullAt(tenant, "collections", "Bad Name"), 400, "invalid_request");
  }

  @Test
  void badParametersAreInvalidRequests() {
    String tenant = TestSupport.tenant("params");
    for (String limit : List.of("0", "5001", "abc")) {
      problem(pullAt(tenant, "limit", limit), 400, "invalid_request")
          .body("errors[0].path", equalTo("limit"));
    }
    for (String wait : List.of("-1", "31", "x")) {
      problem(pullAt(tenant, "wait", wait), 400, "invalid_request")
          .body("errors[0].path", equalTo("wait"));
    }
    problem(as(tenant).header("X-Client-Id", "no spaces").get(PULL), 400, "invalid_request")
        .body("errors[0].path", equalTo("X-Client-Id"));
  }

  @Test
  void everyCursorFailureHasItsOwnAnswer() {
    String tenant = TestSupport.tenant("cursor");
    String good = startCursor(tenant);
    // Garbage, truncation, tampering: 400 cursor_invalid.
    char last = good.charAt(good.length() - 2);
    String tampered =
        good.substring(0, good.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + good.charAt(good.length() - 1);
    for (String bad :
        List.of("not a cursor!", "AAAA", good.substring(0, good.length() - 6), tampered)) {
      problem(pullAt(tenant, "cursor", bad), 400, "cursor_invalid")
          .body("resetReason", nullValue());
    }
    // Authentic but from another log epoch (6 partitions): 410 log_epoch_changed.
    String otherEpoch = codec.encode(Cursor.start(1, Cursor.scopeHash(null), 6));
    problem(pullAt(tenant, "cursor", otherEpoch), 410, "log_epoch_changed")
        .body("resetReason", equalTo("log_epoch_changed"));
    // Signed with another key: tampered.
    String foreign =
        new CursorCodec("another-key-0123456789".getBytes())
            .encode(Cursor.start(1, Cursor.scopeHash(null), 12));
    problem(pullAt(tenant, "cursor", foreign), 400, "cursor_invalid");
  }

  @Test
  void aCursorBehindTheHorizonExpiresAndSoDoesNoCursorOnceCompacted() throws Exception {
    String tenant = TestSupport.tenant("horizon");
    String start = startCursor(tenant);
    TestSupport.execute(
        "INSERT INTO log_horizon VALUES (3, 1000000000, '2026-10-26T00:00:00Z', now())");
    try {
      problem(pullAt(tenant, "cursor", start), 410, "cursor_expired")
          .body("resetReason", equalTo("cursor_expired"));
      problem(as(tenant).get(PULL), 410, "cursor_expired");
      // The way back: a snapshot.
      as(tenant).get(SNAPSHOT).then().statusCode(200).body("cursor", notNullValue());
    } finally {
      TestSupport.execute("DELETE FROM log_horizon");
    }
  }

  @Test
  void retentionHorizonIsAdvertised() throws Exception {
    String tenant = TestSupport.tenant("advertised");
    TestSupport.execute("INSERT INTO log_horizon VALUES (5, 0, '2026-10-26T00:00:00Z', now())");
    try {
      as(tenant)
          .get(PULL)
          .then()
          .statusCode(200)
          .body("retentionHorizon", equalTo("2026-10-26T00:00:00Z"));
    } finally {
      TestSupport.execute("DELETE FROM log_horizon");
    }
  }

  @Test
  void receiptsBelongToTheCallersClientAndTenantAndCarryConflicts() throws Exception {
    String a = TestSupport.tenant("rcpt-a");
    String b = TestSupport.tenant("rcpt-b");
    UUID mine = UUID.randomUUID();
    pushUntilFinal(a, push("dev-a", mutation(mine, "tasks", "t-1", "upsert", "{}")));
    pushUntilFinal(
        a, push("dev-other", mutation(UUID.randomUUID(), "tasks", "t-2", "upsert", "{}")));
    // A merged outcome as change-log-service records it (conflicts as a JSON array).
    UUID merged = UUID.randomUUID();
    try (Connection c = TestSupport.superuser();
        Statement q = c.createStatement();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO mutation_outcomes (tenant, client_id, mutation_id, log_partition,"
                    + " log_offset, collection, record_id, status, version, conflicts, created_at)"
                    + " VALUES (?, 'dev-a', ?, ?, 0, 'tasks', 't-9', 'merged', 4, ?::jsonb, now())")) {
      var rs =
          q.executeQuery(
              "SELECT log_partition FROM partition_positions WHERE next_offset > 0 LIMIT 1");
      rs.next();
      s.setString(1, a);
      s.setObject(2, merged);
      s.setInt(3, rs.getInt(1));
      s.setString(
          4,
          "[{\"field\":\"title\",\"local\":\"x\",\"server\":\"y\",\"resolved\":\"y\","
              + "\"policy\":\"server-wins\"}]");
      s.executeUpdate();
    }
    pushUntilFinal(a, push("dev-a", mutation(UUID.randomUUID(), "tasks", "t-3", "upsert", "{}")));
    JsonPath viaHeader =
        as(a)
            .header("X-Client-Id", "dev-a")
            .queryParam("clientId", "dev-other")
            .get(PULL)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    List<String> ids = viaHeader.getList("receipts.mutationId");
    assertTrue(ids.contains(mine.toString()), viaHeader.prettify());
    assertTrue(ids.contains(merged.toString()), "offset 0 lies in the range of a start pull");
    assertEquals(3, ids.size(), "only dev-a's receipts: " + ids);
    int m = ids.indexOf(merged.toString());
    assertEquals("merged", viaHeader.getString("receipts[" + m + "].status"));
    assertEquals("title", viaHeader.getString("receipts[" + m + "].conflicts[0].field"));
    assertEquals("server-wins", viaHeader.getString("receipts[" + m + "].conflicts[0].policy"));
    // The query parameter works when there is no header.
    pullAt(a, "clientId", "dev-other").then().statusCode(200).body("receipts", hasSize(1));
    // The same client id in another tenant sees nothing of tenant a.
    as(b)
        .header("X-Client-Id", "dev-a")
        .get(PULL)
        .then()
        .statusCode(200)
        .body("receipts", hasSize(0))
        .body("changes", hasSize(0));
    // Without a client id: no receipts.
    as(a).get(PULL).then().statusCode(200).body("receipts", hasSize(0));
    // A cursor past them: no receipts again.
    String cursor = viaHeader.getString("cursor");
    as(a)
        .header("X-Client-Id", "dev-a")
        .queryParam("cursor", cursor)
        .get(PULL)
        .then()
        .statusCode(200)
        .body("receipts", hasSize(0));
  }

  /** A pull of {@code tenant} with one query parameter. */
  private static Response pullAt(String tenant, String param, Object value) {
    return as(tenant).queryParam(param, value).get(PULL);
  }
}
