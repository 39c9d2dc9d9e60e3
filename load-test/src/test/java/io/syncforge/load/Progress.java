package io.syncforge.load;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/** The progress line printed every few seconds while a run is going: elapsed, requests, errors. */
final class Progress implements AutoCloseable {

  static final LongAdder requests = new LongAdder();
  static final LongAdder errors = new LongAdder();
  static volatile String phase = "start";

  private final Thread thread;
  private final long start = System.nanoTime();
  private volatile boolean running = true;

  Progress(long everyMillis) {
    thread =
        new Thread(
            () -> {
              long lastReq = 0;
              long lastT = System.nanoTime();
              while (running) {
                try {
                  Thread.sleep(everyMillis);
                } catch (InterruptedException e) {
                  return;
                }
                long now = System.nanoTime();
                long req = requests.sum();
                double rate = (req - lastReq) / Math.max(1e-9, (now - lastT) / 1e9);
                lastReq = req;
                lastT = now;
                System.out.println(line(now, req, rate));
              }
            },
            "load-progress");
    thread.setDaemon(true);
    thread.start();
  }

  private String line(long now, long req, double rate) {
    return String.format(
        Locale.ROOT,
        "[load] %5.0fs  phase=%-12s requests=%d  rate=%.0f/s  errors=%d  load=%.2f",
        (now - start) / 1e9,
        phase,
        req,
        rate,
        errors.sum(),
        Env.loadAverage());
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
