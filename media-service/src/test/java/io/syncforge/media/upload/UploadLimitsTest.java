package io.syncforge.media.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.ProblemException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UploadLimitsTest {

  private final AtomicLong now = new AtomicLong();
  private final UploadLimits limits =
      new UploadLimits(3, 2, Duration.ofSeconds(10), 1000, Duration.ofSeconds(5), now::get);

  @Test
  void perDeviceAndPerPodLimitsRefuseWith429AndFreeTheirPermitsOnClose() {
    UploadLimits.Transfer a1 = limits.start("a", () -> {});
    UploadLimits.Transfer a2 = limits.start("a", () -> {});
    ProblemException device =
        assertThrows(ProblemException.class, () -> limits.start("a", () -> {}));
    assertEquals(ErrorCode.TOO_MANY_REQUESTS, device.code());
    assertEquals(1, device.retryAfterSeconds());
    UploadLimits.Transfer b1 = limits.start("b", () -> {});
    ProblemException pod = assertThrows(ProblemException.class, () -> limits.start("c", () -> {}));
    assertEquals(ErrorCode.TOO_MANY_REQUESTS, pod.code());
    assertEquals(3, limits.running());

    a1.close();
    a1.close(); // twice frees once
    UploadLimits.Transfer a3 = limits.start("a", () -> {});
    assertThrows(ProblemException.class, () -> limits.start("c", () -> {}));
    a2.close();
    a3.close();
    b1.close();
    assertEquals(0, limits.running());
    // All permits back: three at once again.
    limits.start("x", () -> {});
    limits.start("y", () -> {});
    limits.start("z", () -> {});
  }

  /**
   * Many threads start and close uploads of one device at once: never more than the per-device
   * limit run together (a counter released to 0 and removed while another start took it would let a
   * second counter admit more), and every permit comes back.
   */
  @Test
  void aDeviceNeverRunsMoreThanItsLimitUnderRacingStartsAndCloses() throws Exception {
    UploadLimits racing =
        new UploadLimits(64, 2, Duration.ofSeconds(10), 1, Duration.ofSeconds(5), now::get);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    int threads = 8;
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    java.util.List<Thread> all = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 200_000; i++) {
                  UploadLimits.Transfer transfer;
                  try {
                    transfer = racing.start("d", () -> {});
                  } catch (ProblemException refused) {
                    continue;
                  }
                  most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                  Thread.yield(); // stay inside a while: overlaps with the others' starts
                  inside.decrementAndGet();
                  transfer.close();
                }
              });
      thread.start();
      all.add(thread);
    }
    go.countDown();
    for (Thread thread : all) {
      thread.join();
    }
    assertTrue(most.get() <= 2, "a device ran " + most.get() + " uploads at once, limit 2");
    assertEquals(0, racing.running());
    // The device's count is back to 0: two start, a third is refused.
    racing.start("d", () -> {});
    racing.start("d", () -> {});
    assertThrows(ProblemException.class, () -> racing.start("d", () -> {}));
    for (int i = 0; i < 62; i++) {
      racing.start("p" + i, () -> {}); // every pod permit is back
    }
  }

  @Test
  void slowAndIdleTransfersAreEndedOnceFastOnesRun() {
    AtomicInteger slowAborts = new AtomicInteger();
    AtomicInteger idleAborts = new AtomicInteger();
    AtomicInteger fastAborts = new AtomicInteger();
    UploadLimits.Transfer slow = limits.start("s", slowAborts::incrementAndGet);
    UploadLimits.Transfer idle = limits.start("i", idleAborts::incrementAndGet);
    UploadLimits.Transfer fast = limits.start("f", fastAborts::incrementAndGet);
    for (int second = 1; second <= 6; second++) {
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      slow.received(100); // 100 B/s, below 1000
      fast.received(10_000);
      if (second <= 2) {
        idle.received(50_000); // fast at first, then silent
      }
      limits.check();
    }
    assertEquals(1, slowAborts.get());
    assertTrue(slow.aborted());
    assertFalse(fast.aborted());
    assertEquals(0, fastAborts.get());
    assertEquals(0, idleAborts.get(), "idle for 4 s of 10");
    for (int second = 7; second <= 14; second++) {
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      fast.received(10_000);
      limits.check();
    }
    assertEquals(1, idleAborts.get());
    assertEquals(1, slowAborts.get(), "ended once");
    assertEquals(0, fastAborts.get());
  }

  /**
   * Once the whole body has arrived, storing it (an S3 PUT, a lock wait on the blob row) may take
   * longer than the rate window: the transfer must not be ended as too slow then. Before the fix a
   * small upload to a slow store got 408 after its last byte, and the abort wrote a second
   * response.
   */
  @Test
  void aTransferWhoseBodyHasArrivedIsNeverEndedWhileItIsStored() {
    AtomicInteger aborts = new AtomicInteger();
    UploadLimits.Transfer small = limits.start("s", aborts::incrementAndGet);
    small.received(20); // the whole body, far below 1000 B/s over the 5 s window
    small.bodyReceived();
    for (int second = 1; second <= 30; second++) {
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      limits.check();
    }
    assertEquals(0, aborts.get());
    assertFalse(small.aborted());
    assertEquals(1, limits.running(), "still holds its concurrency permit until closed");
    small.close();
    assertEquals(0, limits.running());
  }
}
