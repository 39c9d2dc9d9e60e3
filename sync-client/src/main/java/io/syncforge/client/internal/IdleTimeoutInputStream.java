package io.syncforge.client.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fails a read that makes no progress within the timeout: a watchdog interrupts the blocked reader
 * (the JDK's response stream is interruptible), and the read ends with {@link
 * HttpTimeoutException}. The interrupt never leaks out of the read.
 */
final class IdleTimeoutInputStream extends FilterInputStream {
  private static final ScheduledExecutorService WATCHDOG = watchdog();

  /**
   * One daemon thread for all streams. Cancelled watchdogs are removed at once: every read arms and
   * cancels one, and left in the queue until their (long) delay ran out they would pile up by the
   * hundred thousand during a first sync.
   */
  private static ScheduledExecutorService watchdog() {
    java.util.concurrent.ScheduledThreadPoolExecutor e =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "syncforge-read-watchdog");
              t.setDaemon(true);
              return t;
            });
    e.setRemoveOnCancelPolicy(true);
    return e;
  }

  private final long timeoutMillis;
  private final Object lock = new Object();
  private boolean armed;
  private boolean timedOut;

  IdleTimeoutInputStream(InputStream in, Duration timeout) {
    super(in);
    this.timeoutMillis = Math.max(1, timeout.toMillis());
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    ScheduledFuture<?> watchdog;
    synchronized (lock) {
      if (timedOut) {
        throw new HttpTimeoutException("read timed out after " + timeoutMillis + " ms");
      }
      armed = true;
      watchdog =
          WATCHDOG.schedule(
              () -> {
                synchronized (lock) {
                  if (!armed) {
                    return;
                  }
                  timedOut = true;
                }
                try {
                  in.close();
                } catch (IOException | RuntimeException ignored) {
                  // The read fails either way.
                }
              },
              timeoutMillis,
              TimeUnit.MILLISECONDS);
    }
    try {
      return super.read(b, off, len);
    } catch (IOException e) {
      if (isTimedOut()) {
        throw new HttpTimeoutException("read timed out after " + timeoutMillis + " ms");
      }
      throw e;
    } finally {
      watchdog.cancel(false);
      synchronized (lock) {
        armed = false;
      }
    }
  }

  private boolean isTimedOut() {
    synchronized (lock) {
      return timedOut;
    }
  }
}
