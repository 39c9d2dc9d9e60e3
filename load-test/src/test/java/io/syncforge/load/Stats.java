package io.syncforge.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What one scenario measured: every latency (microseconds) in one HdrHistogram and in one histogram
 * per second of the run (for the plot), outcomes by HTTP status and problem {@code code}, and units
 * of work (mutations, bytes) beside the request count.
 */
final class Stats {

  /** One request's result: the HTTP status (0 = no answer) and the problem code, if any. */
  record Result(int status, String code, long units) {
    static Result ok(int status, long units) {
      return new Result(status, null, units);
    }

    boolean success() {
      return status >= 200 && status < 300;
    }
  }

  private static final long MAX_US = TimeUnit.MINUTES.toMicros(10);

  final String name;
  final String mode;
  final double targetRate;
  final long startNanos;
  final Histogram total = new ConcurrentHistogram(MAX_US, 3);
  final ConcurrentSkipListMap<Integer, Histogram> perSecond = new ConcurrentSkipListMap<>();
  final ConcurrentSkipListMap<Integer, LongAdder> okPerSecond = new ConcurrentSkipListMap<>();
  final Map<String, LongAdder> byOutcome = new ConcurrentHashMap<>();
  final LongAdder requests = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder units = new LongAdder();
  volatile long endNanos;

  Stats(String name, String mode, double targetRate) {
    this.name = name;
    this.mode = mode;
    this.targetRate = targetRate;
    this.startNanos = System.nanoTime();
  }

  /**
   * Records one request. {@code intendedStart} is when it was meant to start (open loop: the
   * schedule, so waiting behind a slow server counts), {@code end} when its answer arrived.
   */
  void record(long intendedStart, long end, Result r) {
    long us = Math.max(0, TimeUnit.NANOSECONDS.toMicros(end - intendedStart));
    us = Math.min(us, MAX_US);
    total.recordValue(us);
    int sec = (int) TimeUnit.NANOSECONDS.toSeconds(Math.max(0, end - startNanos));
    perSecond.computeIfAbsent(sec, s -> new ConcurrentHistogram(MAX_US, 2)).recordValue(us);
    requests.increment();
    Progress.requests.increment();
    String key = r.status() + (r.code() == null ? "" : " " + r.code());
    byOutcome.computeIfAbsent(key, k -> new LongAdder()).increment();
    if (r.success()) {
      okPerSecond.computeIfAbsent(sec, s -> new LongAdder()).increment();
      units.add(r.units());
    } else {
      errors.increment();
      Progress.errors.increment();
    }
  }

  /** Counts an extra outcome that is not a request (e.g. a mutation's status inside a push). */
  void count(String key, long n) {
    byOutcome.computeIfAbsent(key, k -> new LongAdder()).add(n);
  }

  void finish() {
    endNanos = System.nanoTime();
  }

  double seconds() {
    long end = endNanos == 0 ? System.nanoTime() : endNanos;
    return (end - startNanos) / 1e9;
  }

  double okRate() {
    return (requests.sum() - errors.sum()) / Math.max(1e-9, seconds());
  }

  double unitRate() {
    return units.sum() / Math.max(1e-9, seconds());
  }

  /** Milliseconds at a percentile (0..100). */
  double ms(double percentile) {
    return total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(percentile) / 1000.0;
  }

  double maxMs() {
    return total.getTotalCount() == 0 ? 0 : total.getMaxValue() / 1000.0;
  }

  Map<String, Long> outcomes() {
    Map<String, Long> m = new TreeMap<>();
    byOutcome.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
