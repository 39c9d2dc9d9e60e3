package io.syncforge.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A device behind the retention horizon resets from a snapshot and keeps its pending edits. */
class RetentionIT {

  private final LocalStack stack = Stack.get();

  @Test
  void aDeviceBehindTheHorizonResetsFromASnapshotAndKeepsItsPendingEdit() {
    String tenant = "t-horizon";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      for (int i = 0; i < 20; i++) {
        b.client.collection("notes").put("n" + i, Map.of("title", "v1", "owner", "b"));
      }
      b.syncUntilSettled();
      a.syncUntilSettled();
      assertEquals(20, a.client.collection("notes").list().size());

      // a goes offline and edits; meanwhile b rewrites and deletes, and the log is compacted.
      a.client.collection("notes").patch("n0", Map.of("owner", "a"));
      for (int i = 0; i < 20; i++) {
        b.client.collection("notes").patch("n" + i, Map.of("title", "v2"));
      }
      b.client.collection("notes").delete("n19");
      b.syncUntilSettled();
      Device.sleep(1500); // older than the e2e retention of 1 s
      given()
          .header("Authorization", "Bearer " + stack.adminToken(tenant))
          .post(stack.changelogUrl() + "/v1/admin/compact")
          .then()
          .statusCode(200);

      SyncResult.Success reset = a.syncUntilSettled();
      assertTrue(
          reset.snapshotReset(), "a was behind the horizon and re-read the snapshot: " + reset);
      a.syncUntilSettled();
      b.syncUntilSettled();
      for (Device d : new Device[] {a, b}) {
        assertEquals(19, d.client.collection("notes").list().size(), d.name + " sees the delete");
        var n0 = d.client.collection("notes").get("n0").orElseThrow().data();
        assertEquals("v2", n0.get("title").asText(), d.name);
        assertEquals("a", n0.get("owner").asText(), d.name + " has a's offline edit");
      }
    }
  }
}
