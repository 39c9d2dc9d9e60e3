package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  /** A Random whose nextDouble is fixed, to pin the jitter to its bounds. */
  static Random fixed(double value) {
    return new Random() {
      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  @Test
  void ceilingDoublesUpToTheMaximum() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(1));
    long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Duration.ofSeconds(expected[i]), b.ceiling(i + 1), "failure " + (i + 1));
    }
    assertEquals(Duration.ofSeconds(60), b.ceiling(1000), "no overflow");
  }

  @Test
  void fullJitterStaysWithinZeroAndTheCeiling() {
    Backoff low = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), fixed(0.0));
    Backoff high =
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), fixed(Math.nextDown(1.0)));
    for (int n = 1; n <= 10; n++) {
      assertEquals(Duration.ZERO, low.delay(n));
      assertEquals(high.ceiling(n), high.delay(n), "top of the range is the ceiling");
    }
    Backoff seeded = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(42));
    for (int i = 0; i < 2000; i++) {
      int n = 1 + i % 12;
      Duration d = seeded.delay(n);
      assertTrue(!d.isNegative() && d.compareTo(seeded.ceiling(n)) <= 0, d + " for " + n);
    }
  }
}
