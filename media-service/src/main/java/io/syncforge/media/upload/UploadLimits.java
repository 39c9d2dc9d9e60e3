package io.syncforge.media.upload;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.ProblemException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Concurrency bounds and the transfer-rate watch of running uploads. Plain Java (no Quarkus), so
 * the rules are tested without a server; {@link UploadGuard} wires it to the configuration and a
 * timer.
 */
public final class UploadLimits {

  private final Semaphore pod;
  private final int perDevice;

  /**
   * Running uploads per device; a device without any has no entry. Changed only inside {@code
   * compute}, so a count that drops to 0 and is removed cannot be taken by a start at the same time
   * (with a separate decrement and remove, a second counter for the device admitted more than the
   * limit: {@code aDeviceNeverRunsMoreThanItsLimitUnderRacingStartsAndCloses}).
   */
  private final ConcurrentHashMap<String, Integer> devices = new ConcurrentHashMap<>();

  private final Set<Transfer> running = ConcurrentHashMap.newKeySet();
  private final long idleNanos;
  private final long windowNanos;
  private final long minBytesPerWindow;
  private final LongSupplier clock;

  /**
   * @param clock nanoseconds, {@link System#nanoTime} outside tests
   */
  public UploadLimits(
      int perPod,
      int perDevice,
      Duration idleTimeout,
      long minBytesPerSecond,
      Duration rateWindow,
      LongSupplier clock) {
    this.pod = new Semaphore(perPod);
    this.perDevice = perDevice;
    this.idleNanos = idleTimeout.toNanos();
    this.windowNanos = rateWindow.toNanos();
    this.minBytesPerWindow = (long) (minBytesPerSecond * (rateWindow.toNanos() / 1e9));
    this.clock = clock;
  }

  /**
   * Starts an upload of a device, or refuses it with {@code 429 too_many_requests} and {@code
   * Retry-After}. The caller closes the transfer on every path.
   *
   * @param abort what ends the transfer when it is too slow (closing its connection)
   */
  public Transfer start(String device, Runnable abort) {
    if (!pod.tryAcquire()) {
      throw tooMany("this server runs too many uploads at once");
    }
    boolean[] admitted = {false};
    devices.compute(
        device,
        (d, n) -> {
          int current = n == null ? 0 : n;
          if (current >= perDevice) {
            return n;
          }
          admitted[0] = true;
          return current + 1;
        });
    if (!admitted[0]) {
      pod.release();
      throw tooMany("this device already runs " + perDevice + " uploads");
    }
    Transfer t = new Transfer(device, abort, clock.getAsLong());
    running.add(t);
    return t;
  }

  /** Uploads running now (for tests and a gauge). */
  public int running() {
    return running.size();
  }

  /**
   * Ends transfers idle past the timeout or slower than the minimum rate over the window. Called by
   * a timer about once a second.
   *
   * @return how many were ended
   */
  public int check() {
    long now = clock.getAsLong();
    int ended = 0;
    for (Transfer t : running) {
      if (t.tooSlow(now) && t.abort()) {
        ended++;
      }
    }
    return ended;
  }

  private void release(String device) {
    devices.computeIfPresent(device, (d, n) -> n <= 1 ? null : n - 1);
  }

  private static ProblemException tooMany(String detail) {
    return ProblemException.withRetryAfter(ErrorCode.TOO_MANY_REQUESTS, detail, 1);
  }

  /** One running upload: counts bytes; closed exactly once. */
  public final class Transfer implements AutoCloseable {
    private final String device;
    private final Runnable abortAction;
    private volatile long bytes;
    private volatile long lastProgress;
    private long windowStart;
    private long windowStartBytes;
    private volatile boolean aborted;
    private volatile boolean bodyDone;
    private boolean closed;

    private Transfer(String device, Runnable abort, long now) {
      this.device = device;
      this.abortAction = abort;
      this.lastProgress = now;
      this.windowStart = now;
    }

    /** Bytes arrived (called by the one thread that reads the body). */
    public void received(int n) {
      if (n > 0) {
        bytes += n;
        lastProgress = clock.getAsLong();
      }
    }

    /**
     * The client has sent the whole body: from now on the server's own work (hashing done, storing,
     * registering) is not the client's rate, and the watch leaves the transfer alone.
     */
    public void bodyReceived() {
      bodyDone = true;
    }

    /** Whether the watch ended this transfer as too slow. */
    public boolean aborted() {
      return aborted;
    }

    private synchronized boolean tooSlow(long now) {
      if (bodyDone) {
        return false;
      }
      if (now - lastProgress > idleNanos) {
        return true;
      }
      if (now - windowStart >= windowNanos) {
        long inWindow = bytes - windowStartBytes;
        windowStart = now;
        windowStartBytes = bytes;
        return inWindow < minBytesPerWindow;
      }
      return false;
    }

    private boolean abort() {
      if (aborted) {
        return false;
      }
      aborted = true;
      abortAction.run();
      return true;
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      running.remove(this);
      release(device);
      pod.release();
    }
  }
}
