package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.Topics;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Kafka broker (own JVM) for {@code @QuarkusTest}s:
 *
 * <pre>{@code
 * @WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL,
 *     initArgs = @ResourceArg(name = "topics", value = "sync.mutations:12,sync.changes:1"))
 * }</pre>
 *
 * Creates the topics before the application starts and hands it {@code kafka.bootstrap.servers}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

  private static volatile RunningKafka current;
  private Map<String, Integer> topics = Map.of();

  /** The broker started for the running tests. */
  public static RunningKafka current() {
    RunningKafka kafka = current;
    if (kafka == null) {
      throw new IllegalStateException("KafkaTestResource has not started");
    }
    return kafka;
  }

  @Override
  public void init(Map<String, String> initArgs) {
    topics = Topics.parse(initArgs.getOrDefault("topics", ""));
  }

  @Override
  public Map<String, String> start() {
    RunningKafka kafka =
        KafkaLauncher.builder().dataDir(Path.of("target", "dev-infra", "kafka")).start();
    current = kafka;
    kafka.createTopics(topics);
    return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
  }

  @Override
  public void stop() {
    RunningKafka kafka = current;
    current = null;
    if (kafka != null) {
      kafka.close();
    }
  }
}
