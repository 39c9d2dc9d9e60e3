package io.syncforge.syncapi.limit;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.postPush;
import static io.syncforge.syncapi.TestSupport.problem;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.upserts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
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
  public static class SmallLimits extends TestSupport.ConfigOverrides {
    public SmallLimits() {
      super(
          "sync.api.rate.period", "1h",
          "sync.api.rate.device-rate", "3",
          "sync.api.rate.device-burst", "3",
          "sync.api.rate.tenant-rate", "6",
          "sync.api.rate.tenant-burst", "6",
          "sync.api.rate.tenant-mutations-per-minute", "10");
    }
  }

  private static Response pull(String tenant, String clientId) {
    return as(tenant).header("X-Client-Id", clientId).get(PULL);
  }

  private static void assert429(Response r) {
    problem(r, 429, "too_many_requests");
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
    postPush(tenant, push("dev-q", upserts("t-", 8))).then().statusCode(200);
    Response over = postPush(tenant, push("dev-q", upserts("u-", 3)));
    assert429(over);
    // Larger than the whole quota: never possible, so 413 rather than "retry later".
    Response huge = postPush(TestSupport.tenant("quota2"), push("dev-q", upserts("v-", 11)));
    assertEquals(413, huge.statusCode(), huge.asString());
  }
}
