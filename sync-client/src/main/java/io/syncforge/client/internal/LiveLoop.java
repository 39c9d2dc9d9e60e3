package io.syncforge.client.internal;

import io.syncforge.client.SyncResult;
import io.syncforge.protocol.Limits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Live mode: while started, one client-owned thread keeps a long-poll pull ({@code wait=} up to the
 * server's 30 s) open from the stored cursor. When it answers with anything (changes, receipts,
 * more to read), a normal sync run is started (single-flight with every other trigger) that pushes
 * and pulls to the end and fires the listeners; then the long-poll opens again from the new cursor.
 * Failures back off exponentially with jitter (capped), so a down server is not hammered.
 */
public final class LiveLoop {
  /** The run trigger (joins a running sync). */
  private final Supplier<CompletableFuture<SyncResult>> sync;

  private final SyncEngine engine;
  private final Backoff backoff;
  private final int waitSeconds;
  private Thread thread; // guarded by this
  private volatile boolean running;

  public LiveLoop(
      Supplier<CompletableFuture<SyncResult>> sync,
      SyncEngine engine,
      Backoff backoff,
      Duration wait) {
    this.sync = sync;
    this.engine = engine;
    this.backoff = backoff;
    this.waitSeconds = (int) Math.max(1, Math.min(Limits.MAX_WAIT_SECONDS, wait.toSeconds()));
  }

  /** Starts the loop (no-op if running). */
  public synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    thread = new Thread(this::loop, "syncforge-live");
    thread.setDaemon(true);
    thread.start();
  }

  /** True while started. */
  public boolean isRunning() {
    return running;
  }

  /**
   * Stops the loop: the open long-poll is interrupted; waits for the thread at most {@code bound}
   * (not at all for a zero bound; see {@link #await(Duration)}).
   */
  public void stop(Duration bound) {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
      thread = null;
      stopped = t;
    }
    if (t != null) {
      t.interrupt();
      await(bound);
    }
  }

  private Thread stopped; // guarded by this: the last thread stopped, for await()

  /** Waits at most {@code bound} for the last stopped loop thread to end. Never waits forever. */
  public void await(Duration bound) {
    Thread t;
    synchronized (this) {
      t = stopped;
    }
    long millis = bound.toMillis();
    if (t == null || millis <= 0) {
      return; // Thread.join(0) would wait forever
    }
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    int failures = 0;
    while (running) {
      try {
        SyncResult r = awaitRun();
        if (!(r instanceof SyncResult.Success)) {
          failures++;
          sleep(backoff.delay(failures));
          continue;
        }
        failures = 0;
        // Park on the server until something happens after our cursor (or the wait ends).
        while (running) {
          long t0 = System.nanoTime();
          if (engine.waitForChanges(waitSeconds)) {
            break;
          }
          // Nothing new within the wait: park again. A server that answered at once (it does not
          // hold pulls, or its waiting slots are full) is asked at most about once a second.
          if (System.nanoTime() - t0 < 500_000_000L) {
            sleep(Duration.ofSeconds(1));
          }
        }
      } catch (ApiException e) {
        failures++;
        sleep(e.retryAfter() != null ? e.retryAfter() : backoff.delay(failures));
      } catch (InterruptedException e) {
        return; // stopped
      } catch (RuntimeException e) {
        failures++;
        sleep(backoff.delay(failures));
      }
    }
  }

  private SyncResult awaitRun() throws InterruptedException {
    try {
      return sync.get().get(10, TimeUnit.MINUTES);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return new SyncResult.NetworkError(String.valueOf(e));
    } catch (IllegalStateException e) {
      running = false; // the client closed
      throw new InterruptedException("closed");
    }
  }

  private void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(10, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
