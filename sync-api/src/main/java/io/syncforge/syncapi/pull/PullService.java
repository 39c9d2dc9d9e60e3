package io.syncforge.syncapi.pull;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.live.ReReadLimiter;
import io.syncforge.syncapi.log.ReadTransactions;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;

/**
 * Pull and live wait. A pull with {@code wait > 0} that finds nothing parks without a thread until
 * a {@code sync.changes} notification concerning it arrives (its tenant, an offset its cursor has
 * not seen, a collection it reads), then reads again, until something is found or the wait ends.
 * Woken re-reads run through a {@link ReReadLimiter} so a burst never takes the whole pool, and the
 * woken pulls of one tenant waiting for it share one read ({@link WokenReads}). When {@code
 * max-waiting} pulls are parked, a pull that would park is answered {@code 503} with {@code
 * Retry-After} (a client re-polling at once would otherwise busy-loop on empty answers).
 */
@ApplicationScoped
public class PullService {

  private final ReadTransactions tx;
  private final CursorCodec codec;
  private final SyncApiConfig config;
  private final ChangeNotifications notifications;
  private final ReReadLimiter rereads;
  private final WokenReads woken;
  private final Timer latency;
  private final DistributionSummary rows;
  private final PullReader.Budget budget;

  PullService(
      ReadTransactions tx,
      CursorCodec codec,
      SyncApiConfig config,
      ChangeNotifications notifications,
      MeterRegistry registry) {
    this.tx = tx;
    this.codec = codec;
    this.config = config;
    this.notifications = notifications;
    this.budget = new PullReader.Budget(config.pull().maxPageBytes(), config.pull().maxReceipts());
    this.rereads =
        new ReReadLimiter(
            config.pull().maxConcurrentRereads(), Infrastructure.getDefaultWorkerPool());
    this.woken = new WokenReads(rereads, this::readTogether);
    this.latency = Timer.builder("sync.pull.latency").register(registry);
    this.rows = DistributionSummary.builder("sync.pull.rows").register(registry);
    Gauge.builder("sync.pull.waiting", notifications, ChangeNotifications::waiting)
        .description("pull requests parked in a live wait")
        .strongReference(true)
        .register(registry);
    Gauge.builder("sync.pull.rereads.queued", rereads, ReReadLimiter::queued)
        .description("re-reads of woken pulls waiting for a permit (one per tenant batch)")
        .strongReference(true)
        .register(registry);
  }

  /** Answers a pull; waits up to {@code wait} when nothing is new. Call on a worker thread. */
  public Uni<PullResponse> pull(PullReader.Request request, Duration wait) {
    if (wait.isZero() || notifications.closing()) {
      return Uni.createFrom().item(read(request).response());
    }
    return attempt(request, System.nanoTime() + wait.toNanos(), true);
  }

  private Uni<PullResponse> attempt(PullReader.Request request, long deadline, boolean first) {
    // Register before reading: a notification that lands during the read is then not lost.
    ChangeNotifications.Waiter wake =
        notifications.register(request.tenant(), request.collections(), request.clientId() != null);
    Uni<PullReader.Result> reading =
        first ? Uni.createFrom().item(() -> read(request)) : woken.read(request);
    return reading
        .onFailure()
        .invoke(wake::cancel)
        .chain(
            result -> {
              long remaining = deadline - System.nanoTime();
              if (!result.empty() || remaining <= 0 || notifications.closing()) {
                wake.cancel();
                return Uni.createFrom().item(result.response());
              }
              wake.positions(result.next());
              if (!notifications.tryReserve(config.pull().maxWaiting())) {
                wake.cancel();
                if (!first) {
                  return Uni.createFrom().item(result.response()); // it did wait once
                }
                throw ProblemException.unavailable(
                    "too many pulls are waiting on this instance; retry after Retry-After",
                    config.pull().busyRetryAfterSeconds());
              }
              return notifications
                  .park(wake, Duration.ofNanos(remaining))
                  .chain(
                      woken ->
                          // Woken by shutdown: answer what it has (the worker pool is closing).
                          woken && !notifications.closing()
                              ? attempt(request, deadline, false)
                              : Uni.createFrom().item(result.response()));
            });
  }

  /** Re-reads of woken pulls of one tenant, in one transaction (see {@link WokenReads}). */
  private List<PullReader.Answer> readTogether(List<PullReader.Request> requests) {
    long start = System.nanoTime();
    List<PullReader.Answer> answers =
        tx.read(c -> PullReader.readAll(c, codec, config.partitions(), requests, budget));
    latency.record(Duration.ofNanos(System.nanoTime() - start));
    for (PullReader.Answer a : answers) {
      if (a.result() != null) {
        rows.record(a.result().response().changes().size());
      }
    }
    return answers;
  }

  /** Re-read batches run so far (each one transaction for one or more woken pulls). */
  public long rereadBatches() {
    return woken.batches();
  }

  /** Woken pulls answered by those batches. */
  public long rereadPulls() {
    return woken.pulls();
  }

  private PullReader.Result read(PullReader.Request request) {
    long start = System.nanoTime();
    PullReader.Result result =
        tx.read(c -> PullReader.read(c, codec, config.partitions(), request, budget));
    latency.record(Duration.ofNanos(System.nanoTime() - start));
    rows.record(result.response().changes().size());
    return result;
  }
}
