package io.syncforge.syncapi.push;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remembers that Kafka did not take the last push, so that during an outage pushes are answered
 * {@code 503} at once instead of each holding a worker thread until the producer gives up: while
 * Kafka is down exactly one push at a time (the probe) tries it; every other push is refused
 * immediately. The first push that succeeds again opens the gate. Plain Java, thread-safe.
 */
final class KafkaGate {

  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean probing = new AtomicBoolean();
  private final AtomicLong downSince = new AtomicLong();

  /**
   * True when this push may try Kafka: always while Kafka is up; while it is down, only the one
   * push that becomes the probe (it must call {@link #succeeded} or {@link #failed}).
   */
  boolean tryEnter() {
    if (!down.get()) {
      return true;
    }
    return probing.compareAndSet(false, true);
  }

  /** Kafka took a push: open the gate. */
  void succeeded() {
    down.set(false);
    probing.set(false);
  }

  /** Kafka did not take a push in time: close the gate (or keep it closed) and end the probe. */
  void failed(long nowNanos) {
    if (down.compareAndSet(false, true)) {
      downSince.set(nowNanos);
    }
    probing.set(false);
  }

  /** Whether the last push failed and none succeeded since. */
  boolean isDown() {
    return down.get();
  }

  /** {@link System#nanoTime()} of the failure that closed the gate; meaningful while down. */
  long downSinceNanos() {
    return downSince.get();
  }
}
