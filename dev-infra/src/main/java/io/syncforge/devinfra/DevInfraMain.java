package io.syncforge.devinfra;

import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts PostgreSQL and Kafka, prints their addresses as {@code KEY=value} lines followed by {@code
 * READY}, and runs until stopped (SIGTERM or Ctrl-C stop both cleanly).
 *
 * <pre>
 * java -cp ... io.syncforge.devinfra.DevInfraMain [--data-dir .local] [--fresh]
 *     [--postgres-port 0] [--kafka-port 0] [--database sync]
 *     [--topics name:partitions,...] [--no-postgres] [--no-kafka]
 * </pre>
 *
 * Without {@code --topics} it creates {@link io.syncforge.protocol.messaging.Topics#layout} at the
 * default partition count.
 */
public final class DevInfraMain {

  private DevInfraMain() {}

  /** Entry point; see the class comment for the flags. */
  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(".local");
    boolean fresh = false;
    boolean postgres = true;
    boolean kafka = true;
    int pgPort = 0;
    int kafkaPort = 0;
    String database = "sync";
    // Default: the one topic layout (sync-protocol's Topics.layout); --topics replaces it.
    Map<String, Integer> topics =
        io.syncforge.protocol.messaging.Topics.layout(
            io.syncforge.protocol.messaging.Topics.DEFAULT_PARTITIONS);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--data-dir" -> dataDir = Path.of(value(args, ++i));
        case "--fresh" -> fresh = true;
        case "--no-postgres" -> postgres = false;
        case "--no-kafka" -> kafka = false;
        case "--postgres-port" -> pgPort = Integer.parseInt(value(args, ++i));
        case "--kafka-port" -> kafkaPort = Integer.parseInt(value(args, ++i));
        case "--database" -> database = value(args, ++i);
        case "--topics" -> topics = Topics.parse(value(args, ++i));
        default -> {
          System.err.println("unknown flag: " + args[i]);
          System.exit(2);
        }
      }
    }

    List<AutoCloseable> running = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (int i = running.size() - 1; i >= 0; i--) {
                    try {
                      running.get(i).close();
                    } catch (Exception e) {
                      System.err.println("stop failed: " + e);
                    }
                  }
                  stopped.countDown();
                },
                "dev-infra-stop"));

    if (postgres) {
      RunningPostgres pg =
          PostgresLauncher.builder()
              .dataDir(dataDir.resolve("postgres"))
              .port(pgPort)
              .fresh(fresh)
              .start();
      running.add(pg);
      String url = pg.createDatabase(database);
      System.out.println("POSTGRES_JDBC_URL=" + url);
      System.out.println("POSTGRES_PORT=" + pg.port());
      System.out.println("POSTGRES_USER=" + pg.superuser());
      System.out.println("POSTGRES_PID=" + pg.pid());
    }
    if (kafka) {
      RunningKafka k =
          KafkaLauncher.builder()
              .dataDir(dataDir.resolve("kafka"))
              .port(kafkaPort)
              .fresh(fresh)
              .start();
      running.add(k);
      k.createTopics(topics);
      System.out.println("KAFKA_BOOTSTRAP_SERVERS=" + k.bootstrapServers());
      System.out.println("KAFKA_BROKER_PID=" + k.pid());
    }
    System.out.println("READY");
    System.out.flush();
    stopped.await();
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      System.err.println("missing value for " + args[i - 1]);
      System.exit(2);
    }
    return args[i];
  }
}
