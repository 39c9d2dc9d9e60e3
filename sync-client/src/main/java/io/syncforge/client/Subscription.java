package io.syncforge.client;

/** An observation started by {@code observe(...)}; {@link #close()} stops it. Idempotent. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  /** Stops delivering; no call starts after this returns (one already running finishes). */
  @Override
  void close();
}
