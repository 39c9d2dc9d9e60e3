package io.syncforge.client.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task after a delay; the scheduler's only source of time passing (tests fake it). */
public interface TaskTimer {
  /** Schedules {@code task}; the returned handle cancels it. */
  Cancellable schedule(Runnable task, Duration delay);

  /** A scheduled task. */
  interface Cancellable {
    void cancel();
  }

  /** A timer over a {@link ScheduledExecutorService}. */
  static TaskTimer of(ScheduledExecutorService executor) {
    return (task, delay) -> {
      var f = executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
      return () -> f.cancel(false);
    };
  }
}
