package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.Topics;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Kafka broker for {@code @QuarkusTest}s, normally through {@link WithDevInfra}:
 *
 * <pre>{@code
 * @WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
 * }</pre>
 *
 * Creates the topics before the application starts (init arg {@code topics=name:partitions,...};
 * without it, the whole {@link io.syncforge.protocol.messaging.Topics#layout} at the default
 * partition count) and hands it {@code kafka.bootstrap.servers}. The broker is this module's
 * embedded one (own JVM) or, with {@code -Dsyncforge.infra=testcontainers|auto} and Docker, a
 * container ({@link InfraMode}). One broker per test JVM: a second declaration (other topics) only
 * adds its topics to it.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

  private static RunningKafka current;
  private static String bootstrap;
  private static int users;
  private Map<String, Integer> topics;

  /** The embedded broker started for the running tests (not with Testcontainers). */
  public static synchronized RunningKafka current() {
    if (current == null) {
      throw new IllegalStateException(
          bootstrap == null
              ? "KafkaTestResource has not started"
              : "KafkaTestResource runs a Testcontainers broker; this test needs -Dsyncforge.infra=embedded");
    }
    return current;
  }

  /** The broker's bootstrap servers, whichever kind it is. */
  public static synchronized String bootstrapServers() {
    if (bootstrap == null) {
      throw new IllegalStateException("KafkaTestResource has not started");
    }
    return bootstrap;
  }

  @Override
  public void init(Map<String, String> initArgs) {
    String spec = initArgs.get("topics");
    topics =
        spec == null
            ? io.syncforge.protocol.messaging.Topics.layout(
                io.syncforge.protocol.messaging.Topics.DEFAULT_PARTITIONS)
            : Topics.parse(spec);
  }

  @Override
  public Map<String, String> start() {
    synchronized (KafkaTestResource.class) {
      if (bootstrap == null) {
        if (InfraMode.current() == InfraMode.TESTCONTAINERS) {
          bootstrap = Containers.kafka();
        } else {
          current =
              KafkaLauncher.builder().dataDir(Path.of("target", "dev-infra", "kafka")).start();
          bootstrap = current.bootstrapServers();
        }
      }
      users++;
      RunningKafka.createTopics(bootstrap, topics);
      return Map.of("kafka.bootstrap.servers", bootstrap);
    }
  }

  @Override
  public void stop() {
    synchronized (KafkaTestResource.class) {
      if (--users > 0) {
        return;
      }
      RunningKafka kafka = current;
      current = null;
      bootstrap = null;
      if (kafka != null) {
        kafka.close();
      }
    }
  }
}
