package io.syncforge.syncapi.pull;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.log.ReadTransactions;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Pull and live wait. A pull with {@code wait > 0} that finds nothing parks without a thread until
 * a {@code sync.changes} notification for the tenant arrives, then reads again (on a worker
 * thread), until something is found or the wait ends.
 */
@ApplicationScoped
public class PullService {

  private final ReadTransactions tx;
  private final CursorCodec codec;
  private final SyncApiConfig config;
  private final ChangeNotifications notifications;
  private final Timer latency;
  private final DistributionSummary rows;

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
    this.latency = Timer.builder("sync.pull.latency").register(registry);
    this.rows = DistributionSummary.builder("sync.pull.rows").register(registry);
    Gauge.builder("sync.pull.waiting", notifications, ChangeNotifications::waiting)
        .description("pull requests parked in a live wait")
        .strongReference(true)
        .register(registry);
  }

  /** Answers a pull; waits up to {@code wait} when nothing is new. Call on a worker thread. */
  public Uni<PullResponse> pull(PullReader.Request request, Duration wait) {
    if (wait.isZero()
        || notifications.closing()
        || notifications.waiting() >= config.pull().maxWaiting()) {
      return Uni.createFrom().item(read(request).response());
    }
    return attempt(request, System.nanoTime() + wait.toNanos());
  }

  private Uni<PullResponse> attempt(PullReader.Request request, long deadline) {
    // Register before reading: a notification that lands during the read is then not lost.
    CompletableFuture<Void> wake = notifications.register(request.tenant());
    PullReader.Result result;
    try {
      result = read(request);
    } catch (RuntimeException e) {
      wake.cancel(false);
      throw e;
    }
    long remaining = deadline - System.nanoTime();
    if (!result.empty() || remaining <= 0 || notifications.closing()) {
      wake.cancel(false);
      return Uni.createFrom().item(result.response());
    }
    return notifications
        .park(wake, Duration.ofNanos(remaining))
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .chain(
            woken -> woken ? attempt(request, deadline) : Uni.createFrom().item(result.response()));
  }

  private PullReader.Result read(PullReader.Request request) {
    long start = System.nanoTime();
    PullReader.Result result =
        tx.read(c -> PullReader.read(c, codec, config.partitions(), request));
    latency.record(Duration.ofNanos(System.nanoTime() - start));
    rows.record(result.response().changes().size());
    return result;
  }
}
