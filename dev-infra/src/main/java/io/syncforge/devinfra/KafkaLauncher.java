package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a real Apache Kafka broker (KRaft, one node acting as broker and controller) in its own
 * JVM. The broker reads its standard input and halts when the pipe closes, so it dies with the JVM
 * that started it, even after a SIGKILL.
 *
 * <pre>{@code
 * try (RunningKafka kafka = KafkaLauncher.builder().start()) {
 *   kafka.createTopics(Topics.layout(Topics.DEFAULT_PARTITIONS));
 *   String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class KafkaLauncher extends LauncherSettings.Jvm<KafkaLauncher> {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaLauncher.class);
  private static final String CLASSPATH_RESOURCE = "META-INF/syncforge/kafka-broker.classpath";
  private static final String MAIN_CLASS = "io.syncforge.devinfra.kafka.BrokerMain";

  private KafkaLauncher() {
    super("kafka", "512m", Duration.ofSeconds(90));
  }

  /** A launcher with defaults: data under {@code target/dev-infra/kafka}, free port, fresh. */
  public static KafkaLauncher builder() {
    return new KafkaLauncher();
  }

  /** Formats storage if needed, starts the broker and waits until it answers metadata calls. */
  public RunningKafka start() {
    Path dir = dataDirectory();
    try {
      prepareDataDir(dir, KafkaLauncher::stopOrphanOn);
      int clientPort = port == 0 ? Processes.freePort() : port;
      int controllerPort = Processes.freePort();
      Path props = writeServerProperties(dir, clientPort, controllerPort);
      Path log = dir.resolveSibling(dir.getFileName() + ".log");
      String classpath = brokerClasspath();
      long t0 = System.nanoTime();

      if (!Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
        Process format =
            javaProcess(classpath, List.of("format", props.toString(), clusterId(dir)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
          format.destroyForcibly();
          throw new IllegalStateException("formatting Kafka storage failed; see " + log);
        }
      }

      Process broker =
          RunningChildJvm.start(
              javaProcess(classpath, List.of(props.toString())), log, dir.resolve("broker.pid"));
      RunningKafka running = new RunningKafka(broker, "127.0.0.1:" + clientPort, dir, log);
      running.awaitReadyOrStop(startupTimeout);
      LOG.info(
          "Kafka on {} ({} ms), data {}, log {}",
          running.bootstrapServers(),
          (System.nanoTime() - t0) / 1_000_000,
          dir,
          log);
      return running;
    } catch (IOException e) {
      throw new UncheckedIOException("Kafka did not start in " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Kafka", e);
    }
  }

  private ProcessBuilder javaProcess(String classpath, List<String> args) {
    return ChildJvm.command(MAIN_CLASS, classpath, maxHeap, List.of(), args);
  }

  /** Keeps the cluster id across restarts of a kept data directory. */
  private static String clusterId(Path dir) throws IOException {
    Path file = dir.resolve("cluster.id");
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    String id = Uuid.randomUuid().toString();
    Files.writeString(file, id);
    return id;
  }

  private static Path writeServerProperties(Path dir, int clientPort, int controllerPort)
      throws IOException {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.resolve("logs").toString());
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.flush.interval.messages", "9223372036854775807");
    StringBuilder sb = new StringBuilder("# written by dev-infra KafkaLauncher\n");
    p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Path file = dir.resolve("server.properties");
    Files.writeString(file, sb.toString());
    return file;
  }

  static String brokerClasspath() throws IOException {
    return ChildJvm.runtimeClasspath(CLASSPATH_RESOURCE, "dev-infra-kafka-runtime");
  }

  static void stopOrphanOn(Path dir) throws IOException {
    ChildJvm.stopOrphan(
        dir.resolve("broker.pid"), MAIN_CLASS, Duration.ofSeconds(15), "Kafka broker", LOG);
  }

  /** A running broker. Closing it stops the broker JVM (and wipes its data if it was fresh). */
  public static final class RunningKafka extends RunningChildJvm {
    private final String bootstrapServers;

    RunningKafka(Process process, String bootstrapServers, Path dataDir, Path logFile) {
      super("Kafka broker", process, dataDir, logFile, "broker.pid", Duration.ofSeconds(20));
      this.bootstrapServers = bootstrapServers;
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
      return bootstrapServers;
    }

    /** An admin client for this broker; the caller closes it. */
    public Admin admin() {
      return admin(bootstrapServers);
    }

    /** An admin client for any broker (a container's, say); the caller closes it. */
    public static Admin admin(String bootstrapServers) {
      Properties props = new Properties();
      props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
      return Admin.create(props);
    }

    @Override
    void awaitReady(Duration timeout) {
      try (Admin admin = admin()) {
        waitUntil(
            timeout,
            () -> {
              admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
              return true;
            });
      }
    }

    /**
     * Creates a topic with the given partition count, or checks that an existing one has it.
     *
     * @throws IllegalStateException when the topic exists with another partition count
     */
    public void createTopic(String name, int partitions) {
      createTopic(bootstrapServers, name, partitions);
    }

    /** {@link #createTopic(String, int)} on any broker. */
    public static void createTopic(String bootstrapServers, String name, int partitions) {
      try (Admin admin = admin(bootstrapServers)) {
        try {
          admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
          if (d.partitions().size() != partitions) {
            throw new IllegalStateException(
                "topic "
                    + name
                    + " exists with "
                    + d.partitions().size()
                    + " partitions, wanted "
                    + partitions);
          }
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException("cannot create topic " + name, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted creating topic " + name, e);
      }
    }

    /** Creates every topic of a {@code name:partitions} map; see {@link #createTopic}. */
    public void createTopics(Map<String, Integer> topics) {
      createTopics(bootstrapServers, topics);
    }

    /** {@link #createTopics(Map)} on any broker. */
    public static void createTopics(String bootstrapServers, Map<String, Integer> topics) {
      topics.forEach((name, partitions) -> createTopic(bootstrapServers, name, partitions));
    }
  }
}
