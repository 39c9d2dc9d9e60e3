package io.syncforge.client.internal;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with full jitter: after {@code n} consecutive failures the delay is uniform
 * in {@code [0, min(max, base * 2^(n-1))]}.
 */
public final class Backoff {
  private final Duration base;
  private final Duration max;
  private final Random random;

  public Backoff(Duration base, Duration max, Random random) {
    this.base = base;
    this.max = max;
    this.random = random;
  }

  /** The upper bound of the delay after {@code failures} consecutive failures (>= 1). */
  public Duration ceiling(int failures) {
    int exp = Math.max(0, Math.min(failures - 1, 30));
    long millis = base.toMillis();
    long ceiling = exp >= 62 || millis > (Long.MAX_VALUE >> exp) ? Long.MAX_VALUE : millis << exp;
    return Duration.ofMillis(Math.min(ceiling, max.toMillis()));
  }

  /** A random delay in {@code [0, ceiling(failures)]}. */
  public Duration delay(int failures) {
    long c = ceiling(failures).toMillis();
    long d = (long) Math.floor(random.nextDouble() * (c + 1.0));
    return Duration.ofMillis(Math.min(d, c));
  }
}
