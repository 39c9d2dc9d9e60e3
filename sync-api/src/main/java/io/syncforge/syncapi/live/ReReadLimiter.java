package io.syncforge.syncapi.live;

import io.smallrye.mutiny.Uni;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Bounds how many woken pulls re-read the database at once: a notification that wakes thousands of
 * parked pulls must not take the whole connection pool from fresh requests. Woken pulls queue (no
 * thread held) and run on {@code executor} as permits free up, in wake order. Thread-safe.
 */
public final class ReReadLimiter {

  private final Semaphore permits;
  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final Executor executor;

  /** At most {@code concurrency} reads at once, each run on {@code executor}. */
  public ReReadLimiter(int concurrency, Executor executor) {
    if (concurrency <= 0) {
      throw new IllegalArgumentException("concurrency <= 0");
    }
    this.permits = new Semaphore(concurrency);
    this.executor = executor;
  }

  /** Runs {@code read} when a permit is free; the Uni emits its result (or failure). */
  public <T> Uni<T> run(Supplier<T> read) {
    return Uni.createFrom()
        .emitter(
            em -> {
              queue.add(
                  () -> {
                    try {
                      executor.execute(
                          () -> {
                            try {
                              em.complete(read.get());
                            } catch (Throwable t) {
                              em.fail(t);
                            } finally {
                              permits.release();
                              drain();
                            }
                          });
                    } catch (RuntimeException rejected) {
                      permits.release();
                      em.fail(rejected);
                    }
                  });
              drain();
            });
  }

  /** Reads queued now (for metrics and tests). */
  public int queued() {
    return queue.size();
  }

  private void drain() {
    while (!queue.isEmpty() && permits.tryAcquire()) {
      Runnable next = queue.poll();
      if (next == null) {
        permits.release();
        continue;
      }
      next.run();
    }
  }
}
