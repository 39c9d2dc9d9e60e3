package io.syncforge.syncapi.limit;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Issue 13 item 7: per-device and per-tenant request rates and the tenant's mutation quota. */
@QuarkusTest
@TestProfile(RateLimitTest.SmallLimits.class)
@WithDevInfra
class RateLimitTest {

  /**
   * A device may send 3, a tenant 6, per hour (so the test never depends on how fast this machine
   * is: nothing refills during it); 10 mutations a minute.
   */
  public static class SmallLimits implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "sync.api.rate.period", "1h",
          "sync.api.rate.device-rate", "3",
          "sync.api.rate.device-burst", "3",
          "sync.api.rate.tenant-rate", "6",
          "sync.api.rate.tenant-burst", "6",
          "sync.api.rate.tenant-mutations-per-minute", "10");
    }
  }

  private static Response pull(String tenant, String clientId) {
    return as(tenant).header("X-Client-Id", clientId).get("/v1/sync/pull");
  }

  private static void assert429(Response r) {
    r.then()
        .statusCode(429)
        .contentType("application/problem+json")
        .body("code", equalTo("too_many_requests"));
    int retryAfter = Integer.parseInt(r.header("Retry-After"));
    assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
  }

  @Test
  void aDeviceOverItsRateIsToldWhenToComeBackAndOthersAreNotAffected() {
    String tenant = TestSupport.tenant("rate");
    for (int i = 0; i < 3; i++) {
      pull(tenant, "dev-a").then().statusCode(200);
    }
    assert429(pull(tenant, "dev-a"));
    // Another device of the tenant still has its own bucket, until the tenant's is spent.
    pull(tenant, "dev-b").then().statusCode(200);
    pull(tenant, "dev-b").then().statusCode(200);
    pull(tenant, "dev-c").then().statusCode(200);
    Response tenantSpent = pull(tenant, "dev-d");
    assert429(tenantSpent);
    assertTrue(tenantSpent.jsonPath().getString("detail").contains("tenant"));
    // A fresh tenant is not affected at all.
    pull(TestSupport.tenant("rate-other"), "dev-a").then().statusCode(200);
  }

  @Test
  void aTenantsPushedMutationsAreBoundedPerMinuteAndNothingOverIsEnqueued() {
    String tenant = TestSupport.tenant("quota");
    List<String> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      eight.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "upsert", "{}"));
    }
    as(tenant)
        .body(push("dev-q", eight.toArray(String[]::new)))
        .post("/v1/sync/push")
        .then()
        .statusCode(200);
    List<String> three = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      three.add(mutation(UUID.randomUUID(), "tasks", "u-" + i, "upsert", "{}"));
    }
    Response over =
        as(tenant).body(push("dev-q", three.toArray(String[]::new))).post("/v1/sync/push");
    assert429(over);
    // Larger than the whole quota: never possible, so 413 rather than "retry later".
    List<String> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add(mutation(UUID.randomUUID(), "tasks", "v-" + i, "upsert", "{}"));
    }
    Response huge =
        as(TestSupport.tenant("quota2"))
            .body(push("dev-q", eleven.toArray(String[]::new)))
            .post("/v1/sync/push");
    assertEquals(413, huge.statusCode(), huge.asString());
  }
}
