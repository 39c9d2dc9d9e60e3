package io.syncforge.load;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine the numbers were measured on (the box is shared: they are indicative). */
final class Env {
  private Env() {}

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** The three load averages as /proc/loadavg has them, or the 1-minute one. */
  static String loadAverages() {
    try {
      String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return p[0] + " " + p[1] + " " + p[2];
    } catch (Exception e) {
      return String.format("%.2f", loadAverage());
    }
  }

  static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }
}
