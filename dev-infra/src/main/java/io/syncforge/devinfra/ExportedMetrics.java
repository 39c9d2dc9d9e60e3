package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The check every service's {@code ExportedMetricsTest} makes: each series that {@code
 * deploy/k8s/monitoring/metrics.txt} lists for the service (the ones its alerts and dashboard use)
 * is exported on {@code /q/metrics}. k8s-validation's MonitoringTest holds the alerts and the
 * dashboard to the same file, so a renamed metric fails a service test, not production.
 */
public final class ExportedMetrics {

  /** The list, relative to the repository root. */
  public static final String LIST = "deploy/k8s/monitoring/metrics.txt";

  private ExportedMetrics() {}

  /** The series {@link #LIST} names for a service (found by walking up from the working dir). */
  public static Set<String> listed(String service) {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve(LIST))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(LIST + " not found above " + Path.of("").toAbsolutePath());
    }
    Set<String> out = new TreeSet<>();
    try {
      for (String l : Files.readAllLines(p.resolve(LIST))) {
        String[] f = l.trim().split("\\s+");
        if (!l.isBlank() && !l.startsWith("#") && f[0].equals(service)) {
          out.add(f[1]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The series names in a Prometheus text exposition. */
  public static Set<String> names(String exposition) {
    Set<String> out = new TreeSet<>();
    for (String l : exposition.lines().toList()) {
      if (!l.startsWith("#") && !l.isBlank()) {
        int end = l.indexOf('{') >= 0 ? l.indexOf('{') : l.indexOf(' ');
        out.add(l.substring(0, end));
      }
    }
    return out;
  }

  /**
   * The listed series still missing from {@code scrape} after waiting up to {@code timeout} (meters
   * may register a moment after the first request; gauges once a consumer has its partitions).
   *
   * @param scrape returns the body of {@code GET /q/metrics}
   * @throws IllegalStateException when the list names nothing for the service
   */
  public static Set<String> missing(String service, Supplier<String> scrape, Duration timeout)
      throws InterruptedException {
    Set<String> missing = listed(service);
    if (missing.isEmpty()) {
      throw new IllegalStateException(LIST + " lists nothing for " + service);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      missing.removeAll(names(scrape.get()));
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        return missing;
      }
      Thread.sleep(500);
    }
  }

  /**
   * Fails (an {@link AssertionError} naming them) unless every listed series shows up on {@code
   * scrape} within 60 s.
   */
  public static void assertExported(String service, Supplier<String> scrape)
      throws InterruptedException {
    Set<String> missing = missing(service, scrape, Duration.ofSeconds(60));
    if (!missing.isEmpty()) {
      throw new AssertionError(
          "listed in " + LIST + " for " + service + " but not on /q/metrics: " + missing);
    }
  }
}
