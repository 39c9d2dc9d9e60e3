package io.syncforge.e2e;

import io.syncforge.client.PendingMutation;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.ConvergenceOracle;
import io.syncforge.devinfra.LocalStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fleet of real sync-client devices of one tenant, each on its own thread: edit bursts (upserts,
 * patches and deletes of its own records, patches of a small shared pool), then a sync, until its
 * quota is written. Every mutation id it ever queued is remembered, for the {@link FaultOracle}.
 * Sync failures during a fault are expected and counted, never thrown.
 */
final class Fleet implements AutoCloseable {

  static final String COLLECTION = "notes";

  final String tenant;
  final List<Device> devices = new ArrayList<>();

  /** Every mutation a device queued (owed a final outcome once the fleet has settled). */
  final Map<UUID, ConvergenceOracle.Sent> sent = new ConcurrentHashMap<>();

  final Map<String, AtomicInteger> failures = new ConcurrentSkipListMap<>();
  final AtomicLong written = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stop;

  Fleet(LocalStack stack, String tenant, int size, String apiUrl) {
    this.tenant = tenant;
    for (int i = 0; i < size; i++) {
      devices.add(new Device(stack, tenant, "d" + i, apiUrl));
    }
  }

  /**
   * Starts every device writing {@code perDevice} mutations in bursts of {@code burst}, syncing
   * after each burst; returns at once.
   */
  Fleet start(int perDevice, int burst, long seed) {
    stop = false;
    for (int i = 0; i < devices.size(); i++) {
      Device d = devices.get(i);
      Random rnd = new Random(seed + i);
      Thread t =
          new Thread(
              () -> {
                int left = perDevice;
                int next = 0;
                while (!stop && left > 0) {
                  int n = Math.min(burst, left);
                  for (int k = 0; k < n; k++) {
                    next = edit(d, rnd, next);
                  }
                  left -= n;
                  written.addAndGet(n);
                  remember(d);
                  sync(d);
                }
              },
              "fleet-" + d.name);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return this;
  }

  /** One edit; returns the next fresh record number of this device. */
  private static int edit(Device d, Random rnd, int next) {
    var notes = d.client.collection(COLLECTION);
    int roll = rnd.nextInt(100);
    if (roll < 60 || next < 5) {
      notes.put(d.name + "-" + next, Map.of("title", "t" + next, "by", d.name, "n", next));
      return next + 1;
    }
    String own = d.name + "-" + rnd.nextInt(next);
    if (roll < 85) {
      patchOrPut(notes, own, Map.of("title", "p" + rnd.nextInt(1000)));
    } else if (roll < 92) {
      notes.delete(own);
    } else {
      patchOrPut(notes, "shared-" + rnd.nextInt(10), Map.of(d.name, "v" + rnd.nextInt(1000)));
    }
    return next;
  }

  /** A patch, or (when the record is absent or deleted here) a put that creates or restores it. */
  private static void patchOrPut(
      io.syncforge.client.Collection notes, String id, Map<String, ?> fields) {
    try {
      notes.patch(id, fields);
    } catch (java.util.NoSuchElementException e) {
      notes.put(id, fields);
    }
  }

  private void remember(Device d) {
    for (PendingMutation p : d.client.pendingMutations()) {
      UUID id = p.mutation().mutationId();
      sent.putIfAbsent(id, new ConvergenceOracle.Sent(d.client.clientId(), id, true));
    }
  }

  private SyncResult sync(Device d) {
    SyncResult r = d.client.sync();
    if (!(r instanceof SyncResult.Success)) {
      failures
          .computeIfAbsent(r.getClass().getSimpleName(), k -> new AtomicInteger())
          .incrementAndGet();
    }
    return r;
  }

  /** Whether every device has written its quota. */
  boolean done() {
    return threads.stream().noneMatch(Thread::isAlive);
  }

  /** Waits (at most 120 s) until the fleet has written {@code edits} edits or is done. */
  void awaitProgress(long edits) throws InterruptedException {
    for (int i = 0; i < 6_000 && written.get() < edits && !done(); i++) {
      Thread.sleep(20);
    }
  }

  /** Waits (bounded) until every device has written its quota. */
  void awaitWritten(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    for (Thread t : threads) {
      t.join(Math.max(1, deadline - System.currentTimeMillis()));
    }
    stop = true;
    for (Thread t : threads) {
      t.join(30_000);
    }
    threads.clear();
  }

  /**
   * Syncs every device until no queue holds anything and a whole round pulled nothing, at most
   * {@code timeoutMs}; returns the time it took.
   */
  long settle(long timeoutMs) {
    long t0 = System.currentTimeMillis();
    long deadline = t0 + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      boolean quiet = true;
      for (Device d : devices) {
        remember(d);
        SyncResult r = sync(d);
        if (!(r instanceof SyncResult.Success s) || s.stillPending() > 0 || s.pulled() > 0) {
          quiet = false;
        }
      }
      if (quiet) {
        return System.currentTimeMillis() - t0;
      }
      Device.sleep(200);
    }
    throw new AssertionError(tenant + ": fleet not settled after " + timeoutMs + " ms");
  }

  int failureCount() {
    return failures.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public void close() {
    stop = true;
    for (Device d : devices) {
      d.close();
    }
  }
}
