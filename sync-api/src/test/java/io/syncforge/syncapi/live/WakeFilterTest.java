package io.syncforge.syncapi.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which parked pulls a notification wakes, and the bound on woken re-reads. */
class WakeFilterTest {

  private static String n(String tenant, int p, long offset, String collections) {
    return "{\"tenant\":\""
        + tenant
        + "\",\"partition\":"
        + p
        + ",\"lastOffset\":"
        + offset
        + (collections == null ? "" : ",\"collections\":" + collections)
        + "}";
  }

  @Test
  void aNotificationTheCursorHasAlreadySeenDoesNotWake() {
    ChangeNotifications n = new ChangeNotifications();
    ChangeNotifications.Waiter w = n.register("t", null, false);
    w.positions(new long[] {10, 20, 30});
    n.onNotification(n("t", 1, 19, null)); // position 20: offset 19 is behind the cursor
    assertFalse(w.future().isDone());
    n.onNotification(n("t", 1, 20, null));
    assertTrue(w.future().isDone());
    assertEquals(1, n.woken());
    assertEquals(1, n.skipped());
  }

  @Test
  void beforeTheCursorIsKnownAnyNotificationOfTheTenantWakes() {
    ChangeNotifications n = new ChangeNotifications();
    ChangeNotifications.Waiter w = n.register("t", List.of("notes"), false);
    n.onNotification(n("other", 0, 99, null));
    assertFalse(w.future().isDone());
    // No positions yet (the read is still running): offsets cannot rule it out, but the named
    // collections can.
    n.onNotification(n("t", 0, 0, "[\"tasks\"]"));
    assertFalse(w.future().isDone());
    n.onNotification(n("t", 0, 0, null));
    assertTrue(w.future().isDone());
  }

  @Test
  void theCollectionFilterIsHonouredWhenTheNotificationNamesCollections() {
    ChangeNotifications n = new ChangeNotifications();
    ChangeNotifications.Waiter notes = n.register("t", List.of("notes"), false);
    ChangeNotifications.Waiter all = n.register("t", null, false);
    ChangeNotifications.Waiter receipts = n.register("t", List.of("notes"), true);
    for (ChangeNotifications.Waiter w : List.of(notes, all, receipts)) {
      w.positions(new long[] {0});
    }
    n.onNotification(n("t", 0, 5, "[\"tasks\"]"));
    assertFalse(notes.future().isDone(), "a pull of notes woken by a change of tasks");
    assertTrue(all.future().isDone());
    assertTrue(receipts.future().isDone(), "a pull that waits for receipts must wake");
    n.onNotification(n("t", 0, 6, "[\"tasks\",\"notes\"]"));
    assertTrue(notes.future().isDone());
  }

  @Test
  void aCancelledWaiterIsGoneAndTheParkedCountIsBounded() {
    ChangeNotifications n = new ChangeNotifications();
    assertTrue(n.tryReserve(2));
    assertTrue(n.tryReserve(2));
    assertFalse(n.tryReserve(2));
    assertEquals(2, n.waiting());
    ChangeNotifications.Waiter w = n.register("t", null, false);
    w.cancel();
    n.onNotification(n("t", 0, 1, null));
    assertEquals(0, n.woken());
  }

  @Test
  void rereadsNeverExceedTheBoundAndAllComplete() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      ReReadLimiter limiter = new ReReadLimiter(4, pool);
      AtomicInteger running = new AtomicInteger();
      AtomicInteger max = new AtomicInteger();
      List<CompletableFuture<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        int v = i;
        results.add(
            limiter
                .run(
                    () -> {
                      int now = running.incrementAndGet();
                      max.accumulateAndGet(now, Math::max);
                      try {
                        Thread.sleep(1);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      running.decrementAndGet();
                      if (v % 50 == 0) {
                        throw new IllegalStateException("a failing read releases its permit");
                      }
                      return v;
                    })
                .subscribeAsCompletionStage()
                .toCompletableFuture());
      }
      int ok = 0;
      for (CompletableFuture<Integer> f : results) {
        try {
          f.get(30, TimeUnit.SECONDS);
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          // expected for every 50th
        }
      }
      assertEquals(490, ok);
      assertTrue(max.get() <= 4, "concurrent re-reads: " + max.get());
      assertEquals(0, limiter.queued());
    } finally {
      pool.shutdownNow();
    }
  }
}
