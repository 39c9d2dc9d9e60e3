package io.syncforge.devinfra.quarkus;

import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers side of {@link InfraMode#TESTCONTAINERS}; only loaded when Testcontainers is
 * on the classpath (it is an optional dependency of dev-infra). One PostgreSQL and one Kafka
 * container per JVM, stopped by Testcontainers' reaper when the JVM exits.
 */
final class Containers {

  static final String POSTGRES_IMAGE = "postgres:17-alpine";
  static final String KAFKA_IMAGE = "apache/kafka:4.1.0";

  private static PostgreSQLContainer<?> postgres;
  private static KafkaContainer kafka;

  private Containers() {}

  static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  /** Starts (once) PostgreSQL; returns the datasource config for {@code database}. */
  static synchronized Map<String, String> postgres(String database) {
    if (postgres == null) {
      PostgreSQLContainer<?> c =
          new PostgreSQLContainer<>(DockerImageName.parse(POSTGRES_IMAGE))
              .withDatabaseName(database)
              .withUsername("postgres")
              .withPassword("postgres")
              // Like the embedded server: superuser postgres, any password (tests pass "").
              .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust");
      c.start();
      postgres = c;
    }
    return Map.of(
        "quarkus.datasource.jdbc.url", postgres.getJdbcUrl(),
        "quarkus.datasource.username", postgres.getUsername(),
        "quarkus.datasource.password", "");
  }

  /** Starts (once) a Kafka broker (KRaft); returns its bootstrap servers. */
  static synchronized String kafka() {
    if (kafka == null) {
      KafkaContainer c = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
      c.start();
      kafka = c;
    }
    return kafka.getBootstrapServers();
  }
}
