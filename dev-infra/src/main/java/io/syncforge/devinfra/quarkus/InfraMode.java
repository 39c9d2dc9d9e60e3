package io.syncforge.devinfra.quarkus;

import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * Where the test resources get PostgreSQL and Kafka: this module's embedded launchers (the default;
 * no Docker needed) or Testcontainers containers when a Docker engine is there. Chosen by the
 * system property {@value #PROPERTY}:
 *
 * <ul>
 *   <li>unset or {@code embedded}: the embedded launchers;
 *   <li>{@code testcontainers}: containers; if Testcontainers is not on the classpath or finds no
 *       Docker engine, a warning and the embedded launchers (never a failure);
 *   <li>{@code auto}: containers when {@code DockerClientFactory.instance().isDockerAvailable()},
 *       else embedded, silently.
 * </ul>
 *
 * Tests that inject process faults ({@code KafkaTestResource.current().pid()}, SIGSTOP of the
 * broker, PostgreSQL's postmaster) need the embedded launchers.
 */
public enum InfraMode {
  /** {@code PostgresLauncher} and {@code KafkaLauncher}. */
  EMBEDDED,
  /** {@code org.testcontainers} PostgreSQL and Kafka containers. */
  TESTCONTAINERS;

  /** The system property that selects the mode. */
  public static final String PROPERTY = "syncforge.infra";

  /** The mode for this JVM: {@link #select} with the system property and a real Docker probe. */
  public static InfraMode current() {
    return select(System.getProperty(PROPERTY), InfraMode::dockerAvailable, System.err::println);
  }

  /**
   * The selection rule.
   *
   * @param property the value of {@value #PROPERTY} (null when unset)
   * @param docker whether Testcontainers is present and finds a Docker engine
   * @param warn where the fallback warning goes
   * @throws IllegalArgumentException for an unknown value
   */
  static InfraMode select(
      String property, BooleanSupplier docker, java.util.function.Consumer<String> warn) {
    String p = property == null ? "" : property.trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "", "embedded":
        return EMBEDDED;
      case "auto":
        return docker.getAsBoolean() ? TESTCONTAINERS : EMBEDDED;
      case "testcontainers":
        if (docker.getAsBoolean()) {
          return TESTCONTAINERS;
        }
        warn.accept(
            "dev-infra: -D"
                + PROPERTY
                + "=testcontainers but no Docker engine (or no Testcontainers on the classpath);"
                + " using the embedded PostgreSQL and Kafka");
        return EMBEDDED;
      default:
        throw new IllegalArgumentException(
            "-D" + PROPERTY + "=" + property + ": expected embedded, testcontainers or auto");
    }
  }

  /** Whether Testcontainers is on the classpath and finds a Docker engine. */
  static boolean dockerAvailable() {
    try {
      Class.forName(
          "org.testcontainers.DockerClientFactory", false, InfraMode.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
    try {
      return Containers.dockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
