package io.syncforge.load;

import java.time.Duration;
import java.util.List;

/**
 * The sizes of a run. {@code smoke} runs inside {@code ./mvnw verify} (small, short; the oracle is
 * what matters), {@code standard} produces the figures in docs/benchmarks.md, {@code soak} runs
 * long (push steps of 10 minutes, 1,000 fleet rounds; longer with {@code -Dload.pushStep=PT1H
 * -Dload.fleetRounds=5000}). Every value can be overridden with {@code -Dload.<name>=...}.
 */
record LoadProfile(
    String name,
    List<Double> pushRates,
    Duration pushStep,
    int pushMaxBatch,
    int pushClosedWorkers,
    double pullRate,
    double snapshotRate,
    Duration readDuration,
    double mediaRate,
    Duration mediaDuration,
    int liveDevices,
    int liveTenants,
    int liveRounds,
    int devices,
    int fleetRounds,
    int poolSize,
    Duration outage,
    int threads) {

  static LoadProfile fromSystemProperties() {
    String name = System.getProperty("load.profile", "smoke");
    LoadProfile base =
        switch (name) {
          case "smoke" ->
              new LoadProfile(
                  "smoke",
                  List.of(20.0),
                  Duration.ofSeconds(5),
                  50,
                  2,
                  20,
                  5,
                  Duration.ofSeconds(4),
                  5,
                  Duration.ofSeconds(3),
                  40,
                  4,
                  2,
                  6,
                  4,
                  12,
                  Duration.ofSeconds(3),
                  32);
          case "standard" ->
              new LoadProfile(
                  "standard",
                  List.of(10.0, 25.0, 50.0, 100.0),
                  Duration.ofSeconds(20),
                  500,
                  8,
                  200,
                  40,
                  Duration.ofSeconds(30),
                  40,
                  Duration.ofSeconds(20),
                  1000,
                  20,
                  5,
                  40,
                  8,
                  50,
                  Duration.ofSeconds(10),
                  128);
          case "soak" ->
              new LoadProfile(
                  "soak",
                  List.of(50.0),
                  Duration.ofMinutes(10),
                  500,
                  8,
                  100,
                  20,
                  Duration.ofMinutes(5),
                  20,
                  Duration.ofMinutes(2),
                  500,
                  10,
                  20,
                  30,
                  1000,
                  50,
                  Duration.ofSeconds(10),
                  128);
          default ->
              throw new IllegalArgumentException(
                  "load.profile=" + name + ": expected smoke, standard or soak");
        };
    return base.withOverrides();
  }

  private LoadProfile withOverrides() {
    return new LoadProfile(
        name,
        rates("load.pushRates", pushRates),
        dur("load.pushStep", pushStep),
        num("load.pushMaxBatch", pushMaxBatch),
        num("load.pushClosedWorkers", pushClosedWorkers),
        dbl("load.pullRate", pullRate),
        dbl("load.snapshotRate", snapshotRate),
        dur("load.readDuration", readDuration),
        dbl("load.mediaRate", mediaRate),
        dur("load.mediaDuration", mediaDuration),
        num("load.liveDevices", liveDevices),
        num("load.liveTenants", liveTenants),
        num("load.liveRounds", liveRounds),
        num("load.devices", devices),
        num("load.fleetRounds", fleetRounds),
        num("load.poolSize", poolSize),
        dur("load.outage", outage),
        num("load.threads", threads));
  }

  private static List<Double> rates(String key, List<Double> def) {
    String v = System.getProperty(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    return java.util.Arrays.stream(v.split(",")).map(String::trim).map(Double::valueOf).toList();
  }

  private static Duration dur(String key, Duration def) {
    String v = System.getProperty(key);
    return v == null || v.isBlank() ? def : Duration.parse(v);
  }

  private static int num(String key, int def) {
    return Integer.getInteger(key, def);
  }

  private static double dbl(String key, double def) {
    String v = System.getProperty(key);
    return v == null || v.isBlank() ? def : Double.parseDouble(v);
  }
}
