package io.syncforge.syncapi;

import io.syncforge.devinfra.DevJwt;
import io.syncforge.devinfra.QuarkusAppProcess;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real writer of sync-api's tests: the packaged change-log-service ({@code
 * ../change-log-service/target/quarkus-app}, built before sync-api in the reactor: sync-api's POM
 * names it as a test-scoped {@code pom} dependency for that order) as a process against the test
 * database and broker. What sync-api reads (records, change log, receipts, positions, epoch,
 * notifications on {@code sync.changes}) is therefore written by the code that writes it in
 * production, conflicts and all; there is no stand-in that could drift from it.
 */
public final class ChangeLogWriter {

  private static ChangeLogWriter instance;

  private final QuarkusAppProcess process;
  private final String target;

  private ChangeLogWriter(QuarkusAppProcess process, String target) {
    this.process = process;
    this.target = target;
  }

  /**
   * The writer of the test JVM, started on first use and killed when the JVM exits; started anew
   * when the test resources moved (a {@code @TestProfile} restarts PostgreSQL and Kafka).
   */
  public static synchronized ChangeLogWriter get() {
    String target = PostgresTestResource.jdbcUrl() + " " + KafkaTestResource.bootstrapServers();
    if (instance != null && !instance.target.equals(target)) {
      instance.process.kill();
      instance = null;
    }
    if (instance == null) {
      Map<String, String> c = new HashMap<>();
      c.put("quarkus.datasource.jdbc.url", PostgresTestResource.jdbcUrl());
      c.put("quarkus.datasource.username", "postgres");
      c.put("quarkus.datasource.password", "");
      c.put("kafka.bootstrap.servers", KafkaTestResource.bootstrapServers());
      c.put("mp.jwt.verify.publickey.location", JwtTestResource.jwksUrl());
      c.put("mp.jwt.verify.issuer", DevJwt.ISSUER);
      c.put("mp.jwt.verify.audiences", DevJwt.AUDIENCE);
      c.put("sync.changelog.compaction-delay", "24h");
      c.put("sync.changelog.instance-id", "sync-api-tests-writer");
      QuarkusAppProcess p =
          QuarkusAppProcess.start(
              "change-log-service",
              Path.of("..", "change-log-service", "target", "quarkus-app"),
              0,
              c,
              Path.of("target", "writer-logs"));
      Runtime.getRuntime().addShutdownHook(new Thread(p::kill, "change-log-writer-stop"));
      instance = new ChangeLogWriter(p, target);
    }
    return instance;
  }

  /**
   * Freezes the writer (SIGSTOP): mutations wait in Kafka, outcomes stay pending, as when the
   * writer is slow or behind. Shorter than the writer's 15 s session timeout keeps its partitions.
   */
  public void pause() {
    signal("STOP");
  }

  /** Lets a paused writer go on (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot signal the writer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
