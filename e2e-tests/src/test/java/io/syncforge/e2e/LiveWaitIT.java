package io.syncforge.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import io.syncforge.devinfra.LocalStack;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A device waiting on pull receives another device's change quickly. */
class LiveWaitIT {

  private final LocalStack stack = Stack.get();

  @Test
  void aWaitingPullWakesUpWithAnotherDevicesChange() throws Exception {
    String tenant = "t-live";
    String token = stack.token(tenant, "watcher");
    try (Device writer = new Device(stack, tenant, "writer")) {
      writer.syncUntilSettled();
      String cursor = head(token, snapshotCursor(token));
      List<Long> latencies = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String from = cursor;
        CompletableFuture<JsonPath> waiting =
            CompletableFuture.supplyAsync(
                () ->
                    given()
                        .header("Authorization", "Bearer " + token)
                        .queryParam("cursor", from)
                        .queryParam("wait", 20)
                        .get(stack.apiUrl() + "/v1/sync/pull")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath());
        Device.sleep(500); // the pull is parked by now
        writer.client.collection("notes").put("live" + i, Map.of("n", i));
        long t0 = System.nanoTime();
        writer.sync();
        JsonPath page = waiting.get(30, TimeUnit.SECONDS);
        latencies.add((System.nanoTime() - t0) / 1_000_000);
        List<String> ids = page.getList("changes.recordId");
        assertTrue(ids.contains("live" + i), "woken with the change: " + ids);
        cursor = page.getString("cursor");
      }
      Collections.sort(latencies);
      System.out.println("[LiveWaitIT] write-to-wake latencies (ms, sorted): " + latencies);
      assertTrue(latencies.get(latencies.size() - 1) < 10_000, "well before the 20 s wait ran out");
    }
  }

  /**
   * The cursor after a full snapshot, as a new device gets it (a pull without a cursor is 410 once
   * the log has been compacted, which other tests do).
   */
  private String snapshotCursor(String token) {
    String pageToken = null;
    while (true) {
      var req = given().header("Authorization", "Bearer " + token);
      if (pageToken != null) {
        req = req.queryParam("pageToken", pageToken);
      }
      JsonPath page =
          req.get(stack.apiUrl() + "/v1/sync/snapshot").then().statusCode(200).extract().jsonPath();
      pageToken = page.getString("nextPageToken");
      if (pageToken == null) {
        return page.getString("cursor");
      }
    }
  }

  /** Pulls until hasMore is false and returns the cursor. */
  private String head(String token, String cursor) {
    while (true) {
      var req = given().header("Authorization", "Bearer " + token);
      if (cursor != null) {
        req = req.queryParam("cursor", cursor);
      }
      JsonPath page =
          req.get(stack.apiUrl() + "/v1/sync/pull").then().statusCode(200).extract().jsonPath();
      cursor = page.getString("cursor");
      if (!page.getBoolean("hasMore")) {
        return cursor;
      }
    }
  }
}
