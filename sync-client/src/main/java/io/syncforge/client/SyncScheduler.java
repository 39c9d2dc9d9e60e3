package io.syncforge.client;

import io.syncforge.client.internal.Backoff;
import io.syncforge.client.internal.TaskTimer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Decides when to sync: periodically (15 min by default), at once when the network comes back, on
 * app foreground when the last success is older than 5 minutes, and after failures with exponential
 * backoff and full jitter. An auth error stops all syncing until {@link
 * SyncClient#setToken(String)}. Nothing runs after {@link #close()}. Obtained from {@link
 * SyncClient#scheduler()}; thread-safe; its timer thread only starts sync runs, which run on the
 * client's sync thread.
 */
public final class SyncScheduler implements AutoCloseable {
  private final Supplier<CompletableFuture<SyncResult>> sync;
  private final NetworkMonitor monitor;
  private final Consumer<Boolean> onlineSink;
  private final TaskTimer timer;
  private final Clock clock;
  private final Backoff backoff;
  private final Duration interval;
  private final Duration foregroundThreshold;

  // Guarded by this.
  private boolean started;
  private boolean closed;
  private boolean authStopped;
  private boolean running;
  private int failures;
  private Instant lastSuccess;
  private TaskTimer.Cancellable next;
  private Duration nextDelay;

  SyncScheduler(
      Supplier<CompletableFuture<SyncResult>> sync,
      NetworkMonitor monitor,
      Consumer<Boolean> onlineSink,
      TaskTimer timer,
      Clock clock,
      Backoff backoff,
      Duration interval,
      Duration foregroundThreshold) {
    this.sync = sync;
    this.monitor = monitor;
    this.onlineSink = onlineSink;
    this.timer = timer;
    this.clock = clock;
    this.backoff = backoff;
    this.interval = interval;
    this.foregroundThreshold = foregroundThreshold;
  }

  /** Starts scheduling: registers with the network monitor and syncs at once. Idempotent. */
  public void start() {
    synchronized (this) {
      if (started || closed) {
        return;
      }
      started = true;
    }
    monitor.setListener(
        online -> {
          if (online) {
            onNetworkAvailable();
          } else {
            onNetworkLost();
          }
        });
    trigger();
  }

  /** The network came back: sync at once, forgetting the backoff. */
  public void onNetworkAvailable() {
    onlineSink.accept(true);
    synchronized (this) {
      failures = 0;
    }
    trigger();
  }

  /** The network is gone: timed syncs are skipped until it returns. */
  public void onNetworkLost() {
    onlineSink.accept(false);
  }

  /** The app came to the foreground: sync if the last success is older than the threshold. */
  public void onAppForeground() {
    synchronized (this) {
      if (lastSuccess != null
          && Duration.between(lastSuccess, clock.instant()).compareTo(foregroundThreshold) < 0) {
        return;
      }
    }
    trigger();
  }

  /** A new token is available: resume after an auth stop and sync at once. */
  public void onTokenUpdated() {
    synchronized (this) {
      authStopped = false;
      failures = 0;
    }
    trigger();
  }

  /** True while syncing is stopped by an auth error. */
  public synchronized boolean isStoppedByAuth() {
    return authStopped;
  }

  /** Failures in a row since the last success. */
  public synchronized int consecutiveFailures() {
    return failures;
  }

  /** The delay of the next timed sync, or null if none is scheduled. */
  public synchronized Duration nextDelay() {
    return nextDelay;
  }

  private void trigger() {
    synchronized (this) {
      if (!started || closed || authStopped || running) {
        return;
      }
      if (!monitor.isOnline()) {
        onlineSink.accept(false);
        return;
      }
      cancelNext();
      running = true;
    }
    CompletableFuture<SyncResult> f;
    try {
      f = sync.get();
    } catch (RuntimeException e) {
      synchronized (this) {
        running = false;
      }
      return;
    }
    f.whenComplete((r, e) -> onResult(r));
  }

  private synchronized void onResult(SyncResult result) {
    running = false;
    if (closed) {
      return;
    }
    if (result instanceof SyncResult.Success) {
      failures = 0;
      lastSuccess = clock.instant();
      scheduleNext(interval);
    } else if (result instanceof SyncResult.AuthError) {
      authStopped = true;
      cancelNext();
    } else if (result != null && result.errorClass() == ErrorClass.RETRYABLE) {
      failures++;
      Duration delay = backoff.delay(failures);
      if (result instanceof SyncResult.ServerError se
          && se.retryAfter() != null
          && se.retryAfter().compareTo(delay) > 0) {
        delay = se.retryAfter();
      }
      scheduleNext(delay);
    } else {
      // Permanent: retrying soon will not help; try again at the normal interval.
      failures++;
      scheduleNext(interval);
    }
  }

  private void scheduleNext(Duration delay) {
    cancelNext();
    nextDelay = delay;
    next = timer.schedule(this::trigger, delay);
  }

  private void cancelNext() {
    if (next != null) {
      next.cancel();
      next = null;
    }
    nextDelay = null;
  }

  /** Stops scheduling for good; a sync already running finishes, nothing new starts. */
  @Override
  public synchronized void close() {
    closed = true;
    cancelNext();
  }
}
