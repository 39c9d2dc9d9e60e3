package io.syncforge.syncapi.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecentlyProducedTest {

  private static final long S = 1_000_000_000L;

  @Test
  void aResendWithinTheWindowIsFoundAndOneAfterItIsProducedAgain() {
    RecentlyProduced r = new RecentlyProduced(Duration.ofSeconds(60), 10);
    UUID id = UUID.randomUUID();
    r.remember("t", "c", id, new RecentlyProduced.At(3, 42, 0));
    assertEquals(42, r.find("t", "c", id, 59 * S).offset());
    assertNull(r.find("t", "c", id, 61 * S), "past the window: produce again");
    assertNull(r.find("t", "c", id, 62 * S));
  }

  @Test
  void entriesAreKeyedByTenantAndClientAndBounded() {
    RecentlyProduced r = new RecentlyProduced(Duration.ofSeconds(60), 3);
    UUID id = UUID.randomUUID();
    r.remember("t1", "c", id, new RecentlyProduced.At(0, 1, 0));
    assertNull(r.find("t2", "c", id, 0), "another tenant's mutation of the same id");
    assertNull(r.find("t1", "c2", id, 0), "another client's mutation of the same id");
    for (int i = 0; i < 5; i++) {
      r.remember("t1", "c", UUID.randomUUID(), new RecentlyProduced.At(0, 2 + i, 0));
    }
    assertEquals(3, r.size());
    assertNull(r.find("t1", "c", id, 0), "the oldest went first");
  }

  @Test
  void aZeroWindowRemembersNothing() {
    RecentlyProduced r = new RecentlyProduced(Duration.ZERO, 10);
    UUID id = UUID.randomUUID();
    assertFalse(r.enabled());
    r.remember("t", "c", id, new RecentlyProduced.At(0, 1, 0));
    assertEquals(0, r.size());
    assertNull(r.find("t", "c", id, 0));
    RecentlyProduced on = new RecentlyProduced(Duration.ofSeconds(1), 10);
    on.remember("t", "c", id, new RecentlyProduced.At(0, 1, 0));
    assertNotNull(on.find("t", "c", id, 0));
  }
}
