package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.LocalStack;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 4: a device in live mode receives another device's write while it is open, and
 * uploads its own writes without an explicit sync. The delivery time is printed (the target
 * is 200 ms); the assertion only guards against "never" or "at the next 15-minute sync".
 */
class LiveModeIT {

  private final LocalStack stack = Stack.get();

  @Test
  void anotherDevicesWriteIsDeliveredWhileLiveAndLocalWritesUploadThemselves() throws Exception {
    String tenant = "t-live";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      a.syncUntilSettled();
      b.syncUntilSettled();
      a.client.startLive();
      Device.sleep(500); // a's long-poll is open
      long[] best = {Long.MAX_VALUE};
      long total = 0;
      long fromPush = 0;
      int n = 5;
      for (int i = 0; i < n; i++) {
        CountDownLatch got = new CountDownLatch(1);
        String id = "live-" + i;
        long[] seenAt = {0};
        var l =
            (io.syncforge.client.ChangeListener)
                (collection, ids) -> {
                  if (ids.contains(id) && a.client.collection("notes").get(id).isPresent()) {
                    seenAt[0] = System.nanoTime();
                    got.countDown();
                  }
                };
        a.client.addChangeListener(l);
        b.client.collection("notes").put(id, Map.of("title", "from b"));
        long pushAt = System.nanoTime();
        b.sync(); // returns once the write is final on the server
        long finalAt = System.nanoTime();
        assertTrue(got.await(20, TimeUnit.SECONDS), "a got b's write while live: " + id);
        long ms = Math.max(0, (seenAt[0] - finalAt) / 1_000_000);
        best[0] = Math.min(best[0], ms);
        total += ms;
        fromPush = Math.max(fromPush, (seenAt[0] - pushAt) / 1_000_000);
        a.client.removeChangeListener(l);
        Device.sleep(200);
      }
      System.out.printf(
          "LiveModeIT: another device's write reached a live device %d ms (best) / %d ms (mean)"
              + " after b's sync() returned; at most %d ms after b's sync() began (%d writes)%n",
          best[0], total / n, fromPush, n);

      // a's own write goes up by itself (debounced) and b sees it at its next pull.
      a.client.collection("notes").put("from-a", Map.of("title", "a"));
      boolean uploaded = false;
      for (int i = 0; i < 80 && !uploaded; i++) {
        Device.sleep(100);
        uploaded = a.client.status().pendingCount() == 0;
      }
      assertTrue(uploaded, "a's live write was uploaded without a sync() call");
      b.syncUntilSettled();
      assertTrue(b.client.collection("notes").get("from-a").isPresent());
      a.client.stopLive();
    }
  }
}
