package io.syncforge.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a scenario's requests. {@link #openLoop}: a scheduler issues request {@code i} at {@code
 * start + i / rate} whether or not earlier ones have answered, and each latency is measured from
 * that intended start, so a server that stalls is charged for every request that waited behind it
 * (no coordinated omission). {@link #closedLoop}: {@code n} workers each send the next request when
 * the previous one answered (the saturation throughput). Both are bounded in duration and in
 * request count.
 */
final class Runner {

  /** One request of a scenario. */
  @FunctionalInterface
  interface Request {
    Stats.Result call(long seq) throws Exception;
  }

  private Runner() {}

  private static final java.util.Set<String> SEEN_FAILURES =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A request that failed on the client side; the first of each kind is printed whole. */
  static Stats.Result failure(Exception e) {
    String kind = e.getClass().getSimpleName();
    if (SEEN_FAILURES.add(kind)) {
      System.out.println("[load] first client-side failure " + kind + ": " + e);
      if (e.getCause() != null) {
        System.out.println("[load]   caused by " + e.getCause());
      }
    }
    return new Stats.Result(0, kind, 0);
  }

  /**
   * Open loop at {@code rate} requests/s for at most {@code duration} and {@code maxRequests};
   * {@code threads} workers (requests beyond them queue, and the queueing time counts).
   */
  static Stats openLoop(
      String name, double rate, Duration duration, long maxRequests, int threads, Request req) {
    Stats stats = new Stats(name, "open", rate);
    ExecutorService pool = Executors.newFixedThreadPool(threads, daemon(name));
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    double period = 1e9 / rate;
    try {
      for (long i = 0; i < maxRequests; i++) {
        long intended = start + (long) (i * period);
        if (intended >= end) {
          break;
        }
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        final long seq = i;
        pool.execute(() -> run(stats, intended, seq, req));
      }
    } finally {
      drain(pool, stats);
      stats.finish();
    }
    return stats;
  }

  /** Closed loop: {@code workers} in parallel, each one request after the other. */
  static Stats closedLoop(
      String name, int workers, Duration duration, long maxRequests, Request req) {
    Stats stats = new Stats(name, "closed", 0);
    long end = System.nanoTime() + duration.toNanos();
    java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();
    List<Thread> ts = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      Thread t =
          new Thread(
              () -> {
                long s;
                while (System.nanoTime() < end && (s = seq.getAndIncrement()) < maxRequests) {
                  run(stats, System.nanoTime(), s, req);
                }
              },
              name + "-" + w);
      t.setDaemon(true);
      t.start();
      ts.add(t);
    }
    for (Thread t : ts) {
      try {
        t.join(duration.toMillis() + 120_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    stats.finish();
    return stats;
  }

  private static void run(Stats stats, long intended, long seq, Request req) {
    Stats.Result r;
    try {
      r = req.call(seq);
    } catch (Exception e) {
      r = failure(e);
    }
    stats.record(intended, System.nanoTime(), r);
  }

  /**
   * Waits (bounded) for the queued requests; those never started by then are counted as errors
   * ({@code 0 not_started}), with the latency they had waited so far.
   */
  private static void drain(ExecutorService pool, Stats stats) {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        List<Runnable> never = pool.shutdownNow();
        long now = System.nanoTime();
        for (Runnable r : never) {
          stats.record(now, now, new Stats.Result(0, "not_started", 0));
        }
        System.out.println(
            "[load] "
                + stats.name
                + ": "
                + never.size()
                + " requests not started "
                + DRAIN_SECONDS
                + " s after the end (counted as errors)");
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static final long DRAIN_SECONDS = Long.getLong("load.drainSeconds", 30);

  static java.util.concurrent.ThreadFactory daemon(String name) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
