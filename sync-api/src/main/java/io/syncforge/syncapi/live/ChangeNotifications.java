package io.syncforge.syncapi.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.messaging.ChangeNotification;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Listens to {@code sync.changes} (each instance in its own consumer group, from the latest offset)
 * and wakes what waits for it: parked pulls of a tenant whose cursor has not yet seen the notified
 * offset (and whose collection filter the notification touches, when it names collections), and
 * pushes waiting until change-log-service has committed past the Kafka offsets they produced.
 * Nothing here touches the database, and nothing holds a thread while waiting.
 *
 * <p>Registration and wake-up of one tenant are atomic with respect to each other (both run inside
 * {@link ConcurrentHashMap#compute} of the tenant's key), so a registration can never land in a set
 * a concurrent notification has already taken away. Futures are completed outside the map's lock,
 * because their callbacks deregister.
 */
@ApplicationScoped
public class ChangeNotifications {

  /** The channel of {@code sync.changes}; configured in application.properties. */
  public static final String CHANNEL = "changes";

  private static final Logger LOG = Logger.getLogger(ChangeNotifications.class);
  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int MAX_PARTITIONS = 256;

  /**
   * One parked (or about to park) pull.
   *
   * <p>{@code positions} is null until the pull's read has told where its cursor stands: until then
   * any notification of the tenant wakes it (a notification during the read is never lost).
   */
  public static final class Waiter {
    final CompletableFuture<Void> wake = new CompletableFuture<>();
    private final List<String> collections;
    private final boolean receipts;
    private volatile long[] positions;

    Waiter(List<String> collections, boolean receipts) {
      this.collections = collections;
      this.receipts = receipts;
    }

    /** Where the pull's next read starts, per partition (its cursor after an empty read). */
    public void positions(long[] next) {
      this.positions = next;
    }

    /** Completes when a notification concerns this pull. */
    public CompletableFuture<Void> future() {
      return wake;
    }

    /** Deregisters (a pull that answered, timed out or failed). */
    public void cancel() {
      wake.cancel(false);
    }

    boolean concerns(ChangeNotification n) {
      long[] at = positions;
      int p = n.partition();
      if (at != null && p >= 0 && p < at.length && at[p] > n.lastOffset()) {
        return false; // the cursor is already past it (e.g. this pull's own read saw it)
      }
      if (collections == null || n.collections() == null || receipts) {
        return true; // no filter, or unknown collections, or receipts (never filtered)
      }
      for (String c : n.collections()) {
        if (collections.contains(c)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Registered pulls by tenant. */
  private final Map<String, Set<Waiter>> tenants = new ConcurrentHashMap<>();

  /** Highest committed offset seen per partition (any tenant), -1 before the first. */
  private final AtomicLongArray watermarks = new AtomicLongArray(MAX_PARTITIONS);

  /** Pushes waiting per partition, by the offset they wait for. */
  private final Map<Integer, ConcurrentSkipListMap<Long, Set<CompletableFuture<Void>>>> offsets =
      new ConcurrentHashMap<>();

  /** Work deferred until the wake-ups of the notification this thread is delivering are done. */
  private static final ThreadLocal<List<Runnable>> AFTER_WAKES = new ThreadLocal<>();

  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicLong woken = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean closing;

  /** A fresh instance (CDI makes the application's one; tests make their own). */
  public ChangeNotifications() {
    for (int p = 0; p < MAX_PARTITIONS; p++) {
      watermarks.set(p, -1);
    }
  }

  /**
   * Handles one notification (invalid ones are logged and skipped: they only wake early). On the
   * connector's event loop, not a worker: it only parses, looks up maps and completes futures,
   * whose continuations hand every database read to a worker (pushes via {@code emitOn}, woken
   * pulls via the {@link ReReadLimiter}'s executor). Quarkus ran this signature on the worker pool
   * by default, where each notification queued behind the very pushes and pulls it was to wake
   * (measured in docs/benchmarks.md, "Session 11").
   */
  @Incoming(CHANNEL)
  @NonBlocking
  public void onNotification(String json) {
    ChangeNotification n;
    try {
      n = MAPPER.readValue(json, ChangeNotification.class);
    } catch (Exception e) {
      LOG.warnf("ignoring an unreadable change notification: %s", e.getMessage());
      return;
    }
    if (n.tenant() != null) {
      List<Waiter> wake = new ArrayList<>();
      int[] others = new int[1];
      tenants.computeIfPresent(
          n.tenant(),
          (t, set) -> {
            for (Waiter w : set) {
              if (w.concerns(n)) {
                wake.add(w);
              } else {
                others[0]++;
              }
            }
            wake.forEach(set::remove);
            return set.isEmpty() ? null : set;
          });
      woken.addAndGet(wake.size());
      skipped.addAndGet(others[0]);
      List<Runnable> after = new ArrayList<>();
      AFTER_WAKES.set(after);
      try {
        wake.forEach(w -> w.wake.complete(null));
      } finally {
        AFTER_WAKES.remove();
      }
      after.forEach(Runnable::run);
    }
    int p = n.partition();
    if (p >= 0 && p < MAX_PARTITIONS) {
      watermarks.accumulateAndGet(p, n.lastOffset(), Math::max);
      ConcurrentSkipListMap<Long, Set<CompletableFuture<Void>>> waiters = offsets.get(p);
      if (waiters != null) {
        Map<Long, Set<CompletableFuture<Void>>> passed = waiters.headMap(n.lastOffset(), true);
        passed.values().forEach(s -> s.forEach(f -> f.complete(null)));
        passed.clear();
      }
    }
  }

  /**
   * Runs {@code task} once every pull the notification being delivered on this thread wakes has
   * been woken, or at once when this thread is not delivering one. The woken pulls of one
   * notification continue on the delivering thread; deferring the start of their re-read this way
   * lets all of them join it.
   */
  public static void afterWakes(Runnable task) {
    List<Runnable> after = AFTER_WAKES.get();
    if (after == null) {
      task.run();
    } else {
      after.add(task);
    }
  }

  /**
   * Registers a pull of {@code tenant} for the next notification that concerns it. Register BEFORE
   * reading, so a notification that arrives during the read is not lost; then tell the waiter its
   * cursor ({@link Waiter#positions}). Cancel it (or let {@link #park} end) to deregister.
   *
   * @param collections the pull's collection filter, or null for all
   * @param receipts true when the pull also waits for the caller's receipts
   */
  public Waiter register(String tenant, List<String> collections, boolean receipts) {
    Waiter w = new Waiter(collections, receipts);
    tenants.compute(
        tenant,
        (t, s) -> {
          Set<Waiter> set = s != null ? s : ConcurrentHashMap.newKeySet();
          set.add(w);
          return set;
        });
    if (closing) {
      w.wake.complete(null);
    }
    w.wake.whenComplete(
        (v, e) ->
            tenants.computeIfPresent(
                tenant,
                (t, s) -> {
                  s.remove(w);
                  return s.isEmpty() ? null : s;
                }));
    return w;
  }

  /** Registers for any notification of {@code tenant}; the future completes on it. */
  public CompletableFuture<Void> register(String tenant) {
    return register(tenant, null, true).wake;
  }

  /** Takes one parked slot if fewer than {@code max} are taken; release it via {@link #park}. */
  public boolean tryReserve(int max) {
    while (true) {
      int now = waiting.get();
      if (now >= max) {
        return false;
      }
      if (waiting.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /**
   * Waits, without a thread, until {@code w} is woken or {@code timeout} passes; emits true if
   * woken, false on timeout. The slot taken by {@link #tryReserve} is released when it ends.
   */
  public Uni<Boolean> park(Waiter w, Duration timeout) {
    return Uni.createFrom()
        .completionStage(w.wake)
        .map(v -> true)
        .ifNoItem()
        .after(timeout)
        .recoverWithItem(false)
        .onTermination()
        .invoke(
            () -> {
              waiting.decrementAndGet();
              w.cancel();
            });
  }

  /**
   * On shutdown, parked pulls answer at once (with what they have, like an elapsed wait) instead of
   * being cut off; new pulls no longer park.
   */
  void onShutdown(@Observes ShutdownEvent event) {
    closing = true;
    List<Waiter> all = new ArrayList<>();
    tenants.values().forEach(all::addAll);
    all.forEach(w -> w.wake.complete(null));
  }

  /** True once the instance is shutting down: do not park. */
  public boolean closing() {
    return closing;
  }

  /** The highest committed offset of partition {@code p} seen so far, -1 before any. */
  public long watermark(int p) {
    return watermarks.get(p);
  }

  /** Requests parked now. */
  public int waiting() {
    return waiting.get();
  }

  /** Parked pulls woken so far (each counted once per wake). */
  public long woken() {
    return woken.get();
  }

  /**
   * Parked pulls of a notified tenant left parked because the notification did not concern them.
   */
  public long skipped() {
    return skipped.get();
  }

  /**
   * Completes when a notification reports that partition {@code p} was committed up to {@code
   * offset} (that mutation's outcome is then in PostgreSQL).
   */
  public CompletableFuture<Void> committed(int p, long offset) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (p < 0 || p >= MAX_PARTITIONS || watermarks.get(p) >= offset) {
      f.complete(null);
      return f;
    }
    ConcurrentSkipListMap<Long, Set<CompletableFuture<Void>>> waiters =
        offsets.computeIfAbsent(p, k -> new ConcurrentSkipListMap<>());
    waiters.computeIfAbsent(offset, k -> ConcurrentHashMap.newKeySet()).add(f);
    // A notification may have passed between the check and the add.
    if (watermarks.get(p) >= offset) {
      f.complete(null);
    }
    f.whenComplete(
        (v, e) ->
            waiters.computeIfPresent(
                offset,
                (k, s) -> {
                  s.remove(f);
                  return s.isEmpty() ? null : s;
                }));
    return f;
  }
}
