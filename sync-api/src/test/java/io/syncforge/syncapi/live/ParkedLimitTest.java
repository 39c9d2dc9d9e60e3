package io.syncforge.syncapi.live;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.awaitAtLeast;
import static io.syncforge.syncapi.TestSupport.problem;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** At the parked limit a pull that would park is 503 + Retry-After, not an instant empty 200. */
@QuarkusTest
@TestProfile(ParkedLimitTest.OneParked.class)
@WithDevInfra
class ParkedLimitTest {

  /** One parked pull per instance. */
  public static class OneParked extends TestSupport.ConfigOverrides {
    public OneParked() {
      super("sync.api.pull.max-waiting", "1", "sync.api.pull.busy-retry-after-seconds", "3");
    }
  }

  @Inject ChangeNotifications notifications;

  @Test
  void beyondTheParkedLimitAPullIsToldToComeBack() throws Exception {
    String tenant = TestSupport.tenant("limit");
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () -> as(tenant).queryParam("wait", 3).get(PULL).statusCode());
    awaitAtLeast(1, notifications::waiting, Duration.ofSeconds(10));
    assertEquals(1, notifications.waiting(), "the first pull never parked");
    problem(as(TestSupport.tenant("limit2")).queryParam("wait", 3).get(PULL), 503, "unavailable")
        .header("Retry-After", equalTo("3"));
    // A pull without wait is still answered, and so is the parked one, at its timeout.
    as(tenant).get(PULL).then().statusCode(200).body("cursor", notNullValue());
    assertEquals(200, first.get());
    assertTrue(notifications.waiting() == 0);
  }
}
