package io.syncforge.syncapi.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.messaging.ChangeNotification;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Listens to {@code sync.changes} (each instance in its own consumer group, from the latest offset)
 * and wakes what waits for it: parked pulls of a tenant, and pushes waiting until
 * change-log-service has committed past the Kafka offsets they produced. Nothing here touches the
 * database, and nothing holds a thread while waiting.
 */
@ApplicationScoped
public class ChangeNotifications {

  /** The channel of {@code sync.changes}; configured in application.properties. */
  public static final String CHANNEL = "changes";

  private static final Logger LOG = Logger.getLogger(ChangeNotifications.class);
  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int MAX_PARTITIONS = 256;

  /** Parked pulls by tenant. */
  private final Map<String, Set<CompletableFuture<Void>>> tenants = new ConcurrentHashMap<>();

  /** Highest committed offset seen per partition (any tenant), -1 before the first. */
  private final AtomicLongArray watermarks = new AtomicLongArray(MAX_PARTITIONS);

  /** Pushes waiting per partition, by the offset they wait for. */
  private final Map<Integer, ConcurrentSkipListMap<Long, Set<CompletableFuture<Void>>>> offsets =
      new ConcurrentHashMap<>();

  private final AtomicInteger waiting = new AtomicInteger();
  private volatile boolean closing;

  ChangeNotifications() {
    for (int p = 0; p < MAX_PARTITIONS; p++) {
      watermarks.set(p, -1);
    }
  }

  /** Handles one notification (invalid ones are logged and skipped: they only wake early). */
  @Incoming(CHANNEL)
  public void onNotification(String json) {
    ChangeNotification n;
    try {
      n = MAPPER.readValue(json, ChangeNotification.class);
    } catch (Exception e) {
      LOG.warnf("ignoring an unreadable change notification: %s", e.getMessage());
      return;
    }
    if (n.tenant() != null) {
      Set<CompletableFuture<Void>> parked = tenants.remove(n.tenant());
      if (parked != null) {
        parked.forEach(f -> f.complete(null));
      }
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
   * Registers interest in the next notification for {@code tenant}. Register BEFORE reading, so a
   * notification that arrives during the read is not lost: the returned future is then already
   * complete. Cancel it (or let {@link #park} time out) to deregister.
   */
  public CompletableFuture<Void> register(String tenant) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    tenants.computeIfAbsent(tenant, t -> ConcurrentHashMap.newKeySet()).add(f);
    f.whenComplete(
        (v, e) ->
            tenants.computeIfPresent(
                tenant,
                (t, s) -> {
                  s.remove(f);
                  return s.isEmpty() ? null : s;
                }));
    return f;
  }

  /**
   * Waits, without a thread, until {@code registered} completes or {@code timeout} passes; emits
   * true if woken, false on timeout. Counted in {@link #waiting()}.
   */
  public Uni<Boolean> park(CompletableFuture<Void> registered, Duration timeout) {
    return Uni.createFrom()
        .completionStage(registered)
        .onSubscription()
        .invoke(waiting::incrementAndGet)
        .map(v -> true)
        .ifNoItem()
        .after(timeout)
        .recoverWithItem(false)
        .onTermination()
        .invoke(
            () -> {
              waiting.decrementAndGet();
              registered.cancel(false);
            });
  }

  /**
   * On shutdown, parked pulls answer at once (with what they have, like an elapsed wait) instead of
   * being cut off; new pulls no longer park.
   */
  void onShutdown(@Observes ShutdownEvent event) {
    closing = true;
    tenants.values().forEach(s -> s.forEach(f -> f.complete(null)));
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
