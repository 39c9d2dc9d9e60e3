package io.syncforge.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.http.ContentType;
import io.syncforge.client.SyncRecord;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.protocol.Conflict;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Devices that worked offline converge: the three services as real processes on real PostgreSQL and
 * Kafka, driven by sync-client (one SQLite file per device) and REST Assured.
 */
class ConvergenceIT {

  private final LocalStack stack = Stack.get();

  private static String title(Device d, String id) {
    return d.client.collection("notes").get(id).orElseThrow().data().path("title").asText();
  }

  @Test
  void differentFieldsEditedOfflineMergeOnBothDevices() {
    String tenant = "t-merge";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection("notes").put("n1", Map.of("title", "Draft", "body", "..."));
      a.syncUntilSettled();
      b.syncUntilSettled();
      assertEquals("Draft", title(b, "n1"));

      // Both offline: different fields.
      a.client.collection("notes").patch("n1", Map.of("title", "Final"));
      b.client.collection("notes").patch("n1", Map.of("body", "Text"));
      a.syncUntilSettled();
      b.syncUntilSettled();
      a.syncUntilSettled();

      for (Device d : new Device[] {a, b}) {
        SyncRecord r = d.client.collection("notes").get("n1").orElseThrow();
        assertEquals("Final", r.data().get("title").asText(), d.name);
        assertEquals("Text", r.data().get("body").asText(), d.name);
        assertFalse(r.pending(), d.name);
      }
      assertEquals(
          a.client.collection("notes").get("n1").orElseThrow().version(),
          b.client.collection("notes").get("n1").orElseThrow().version());
      assertTrue(a.merged.isEmpty() && b.merged.isEmpty(), "no conflict on different fields");
    }
  }

  @Test
  void sameFieldEditedOfflineThePolicyWinsAndTheConflictIsReported() {
    String tenant = "t-conflict";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection("notes").put("n1", Map.of("title", "Draft"));
      a.syncUntilSettled();
      b.syncUntilSettled();

      a.client.collection("notes").patch("n1", Map.of("title", "From A"));
      b.client.collection("notes").patch("n1", Map.of("title", "From B"));
      a.syncUntilSettled(); // first to reach the server: applied
      SyncResult.Success bResult = b.syncUntilSettled(); // server-wins: A's value stays
      a.syncUntilSettled();

      assertEquals("From A", title(a, "n1"));
      assertEquals("From A", title(b, "n1"), "b converged to the policy's result");
      assertTrue(bResult.conflicts() >= 1, "b's sync counted the conflict: " + bResult);
      assertEquals(1, b.merged.size(), "b's ConflictListener heard of it");
      Conflict c = b.merged.get(0).conflicts().get(0);
      assertEquals("title", c.field());
      assertEquals("From B", c.local().asText());
      assertEquals("From A", c.server().asText());
      assertEquals("From A", c.resolved().asText());
      // a's receipt for its own edit is a plain "applied": a sees the converged state.
      assertTrue(a.merged.isEmpty());
    }
  }

  @Test
  void deleteOnOneDeviceEditOnTheOtherEndsDeletedOnBoth() {
    String tenant = "t-delete";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection("notes").put("n1", Map.of("title", "Doomed"));
      a.syncUntilSettled();
      b.syncUntilSettled();

      a.client.collection("notes").delete("n1");
      b.client.collection("notes").patch("n1", Map.of("title", "Edited"));
      a.syncUntilSettled();
      b.syncUntilSettled();
      a.syncUntilSettled();

      assertTrue(a.client.collection("notes").get("n1").isEmpty(), "a: deleted");
      assertTrue(b.client.collection("notes").get("n1").isEmpty(), "b: the delete won");
      assertEquals(1, b.merged.size(), "b was told its edit met a delete");
      assertEquals("_deleted", b.merged.get(0).conflicts().get(0).field());
    }
  }

  @Test
  void thousandOfflineEditsSurviveAnApiOutageMidSyncWithoutLossOrDuplicates() throws Exception {
    String tenant = "t-outage";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      for (int i = 0; i < 1000; i++) {
        a.client.collection("notes").put("n" + i, Map.of("title", "t" + i, "i", i));
      }
      CompletableFuture<SyncResult> running = a.client.syncAsync();
      Device.sleep(300);
      stack.stop(LocalStack.Service.API); // mid-sync
      SyncResult interrupted = running.get(120, TimeUnit.SECONDS);
      stack.start(LocalStack.Service.API);
      a.syncUntilSettled();
      assertEquals(0, a.client.status().pendingCount(), "queue drained: " + interrupted);

      b.syncUntilSettled();
      assertEquals(1000, b.client.collection("notes").list().size());
      assertEquals(
          1000,
          count("SELECT count(*) FROM change_log WHERE tenant = ?", tenant),
          "nothing doubled");
      assertEquals(
          1000, count("SELECT count(*) FROM records WHERE tenant = ? AND version = 1", tenant));
      assertEquals(1000, count("SELECT count(*) FROM mutation_outcomes WHERE tenant = ?", tenant));
    }
  }

  @Test
  void aBackOfficeWriteReachesEveryDevicesNextPull() {
    String tenant = "t-backoffice";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      a.syncUntilSettled();
      b.syncUntilSettled();
      given()
          .header("Authorization", "Bearer " + stack.adminToken(tenant))
          .contentType(ContentType.JSON)
          .body(
              "{\"mutations\":[{\"mutationId\":\""
                  + UUID.randomUUID()
                  + "\",\"collection\":\"notes\",\"recordId\":\"announcement\",\"op\":\"upsert\","
                  + "\"data\":{\"title\":\"Maintenance tonight\"}}]}")
          .post(stack.changelogUrl() + "/v1/admin/mutations")
          .then()
          .statusCode(202);
      for (Device d : new Device[] {a, b}) {
        String got = null;
        for (int i = 0; i < 40 && got == null; i++) {
          d.sync();
          got =
              d.client
                  .collection("notes")
                  .get("announcement")
                  .map(r -> r.data().get("title").asText())
                  .orElse(null);
          if (got == null) {
            Device.sleep(250);
          }
        }
        assertEquals("Maintenance tonight", got, d.name);
      }
    }
  }

  private long count(String sql, Object... args) throws Exception {
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
