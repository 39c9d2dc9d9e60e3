package io.syncforge.syncapi.pull;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
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
    JsonPath first = as(tenant).get("/v1/sync/pull").then().statusCode(200).extract().jsonPath();
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
    as(tenant)
        .queryParam("cursor", cursor)
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("changes", hasSize(0))
        .body("hasMore", equalTo(false));
    pushUntilFinal(
        tenant, push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-2", "upsert", "{}")));
    as(tenant)
        .queryParam("cursor", cursor)
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("changes", hasSize(1))
        .body("changes[0].recordId", equalTo("t-2"));
  }

  @Test
  void smallPagesCoverEverythingOnceWithHasMore() {
    String tenant = TestSupport.tenant("pages");
    List<String> ms = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      ms.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "upsert", "{}"));
    }
    pushUntilFinal(tenant, push("dev-1", ms.toArray(String[]::new)));
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    boolean more = true;
    while (more) {
      var req = as(tenant).queryParam("limit", 2);
      if (cursor != null) {
        req.queryParam("cursor", cursor);
      }
      JsonPath page = req.get("/v1/sync/pull").then().statusCode(200).extract().jsonPath();
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
        as(tenant)
            .queryParam("collections", "notes")
            .get("/v1/sync/pull")
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
        .get("/v1/sync/pull")
        .then()
        .statusCode(200);
    as(tenant)
        .queryParam("collections", "tasks,notes")
        .queryParam("cursor", cursor)
        .get("/v1/sync/pull")
        .then()
        .statusCode(410)
        .contentType("application/problem+json")
        .body("code", equalTo("scope_changed"))
        .body("resetReason", equalTo("scope_changed"));
    as(tenant)
        .queryParam("collections", "widgets")
        .get("/v1/sync/pull")
        .then()
        .statusCode(422)
        .body("code", equalTo("unknown_collection"));
    as(tenant)
        .queryParam("collections", "Bad Name")
        .get("/v1/sync/pull")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid_request"));
  }

  @Test
  void badParametersAreInvalidRequests() {
    String tenant = TestSupport.tenant("params");
    for (String limit : List.of("0", "5001", "abc")) {
      as(tenant)
          .queryParam("limit", limit)
          .get("/v1/sync/pull")
          .then()
          .statusCode(400)
          .body("code", equalTo("invalid_request"))
          .body("errors[0].path", equalTo("limit"));
    }
    for (String wait : List.of("-1", "31", "x")) {
      as(tenant)
          .queryParam("wait", wait)
          .get("/v1/sync/pull")
          .then()
          .statusCode(400)
          .body("errors[0].path", equalTo("wait"));
    }
    as(tenant)
        .header("X-Client-Id", "no spaces")
        .get("/v1/sync/pull")
        .then()
        .statusCode(400)
        .body("errors[0].path", equalTo("X-Client-Id"));
  }

  @Test
  void everyCursorFailureHasItsOwnAnswer() {
    String tenant = TestSupport.tenant("cursor");
    String good = as(tenant).get("/v1/sync/pull").then().statusCode(200).extract().path("cursor");
    // Garbage, truncation, tampering: 400 cursor_invalid.
    char last = good.charAt(good.length() - 2);
    String tampered =
        good.substring(0, good.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + good.charAt(good.length() - 1);
    for (String bad :
        List.of("not a cursor!", "AAAA", good.substring(0, good.length() - 6), tampered)) {
      as(tenant)
          .queryParam("cursor", bad)
          .get("/v1/sync/pull")
          .then()
          .statusCode(400)
          .contentType("application/problem+json")
          .body("code", equalTo("cursor_invalid"))
          .body("resetReason", nullValue());
    }
    // Authentic but from another log epoch (6 partitions): 410 log_epoch_changed.
    String otherEpoch = codec.encode(Cursor.start(1, Cursor.scopeHash(null), 6));
    as(tenant)
        .queryParam("cursor", otherEpoch)
        .get("/v1/sync/pull")
        .then()
        .statusCode(410)
        .body("code", equalTo("log_epoch_changed"))
        .body("resetReason", equalTo("log_epoch_changed"));
    // Signed with another key: tampered.
    String foreign =
        new CursorCodec("another-key-0123456789".getBytes())
            .encode(Cursor.start(1, Cursor.scopeHash(null), 12));
    as(tenant)
        .queryParam("cursor", foreign)
        .get("/v1/sync/pull")
        .then()
        .statusCode(400)
        .body("code", equalTo("cursor_invalid"));
  }

  @Test
  void aCursorBehindTheHorizonExpiresAndSoDoesNoCursorOnceCompacted() throws Exception {
    String tenant = TestSupport.tenant("horizon");
    String start = as(tenant).get("/v1/sync/pull").then().statusCode(200).extract().path("cursor");
    try (Connection c = TestSupport.superuser();
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "INSERT INTO log_horizon VALUES (3, 1000000000, '2026-10-26T00:00:00Z', now())");
    }
    try {
      as(tenant)
          .queryParam("cursor", start)
          .get("/v1/sync/pull")
          .then()
          .statusCode(410)
          .body("code", equalTo("cursor_expired"))
          .body("resetReason", equalTo("cursor_expired"));
      as(tenant)
          .get("/v1/sync/pull")
          .then()
          .statusCode(410)
          .body("code", equalTo("cursor_expired"));
      // The way back: a snapshot.
      as(tenant).get("/v1/sync/snapshot").then().statusCode(200).body("cursor", notNullValue());
    } finally {
      try (Connection c = TestSupport.superuser();
          Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM log_horizon");
      }
    }
  }

  @Test
  void retentionHorizonIsAdvertised() throws Exception {
    String tenant = TestSupport.tenant("advertised");
    try (Connection c = TestSupport.superuser();
        Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO log_horizon VALUES (5, 0, '2026-10-26T00:00:00Z', now())");
    }
    try {
      as(tenant)
          .get("/v1/sync/pull")
          .then()
          .statusCode(200)
          .body("retentionHorizon", equalTo("2026-10-26T00:00:00Z"));
    } finally {
      try (Connection c = TestSupport.superuser();
          Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM log_horizon");
      }
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
            .get("/v1/sync/pull")
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
    as(a)
        .queryParam("clientId", "dev-other")
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("receipts", hasSize(1));
    // The same client id in another tenant sees nothing of tenant a.
    as(b)
        .header("X-Client-Id", "dev-a")
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("receipts", hasSize(0))
        .body("changes", hasSize(0));
    // Without a client id: no receipts.
    as(a).get("/v1/sync/pull").then().statusCode(200).body("receipts", hasSize(0));
    // A cursor past them: no receipts again.
    String cursor = viaHeader.getString("cursor");
    as(a)
        .header("X-Client-Id", "dev-a")
        .queryParam("cursor", cursor)
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("receipts", hasSize(0));
  }
}
