package io.syncforge.service.kafka;

import io.syncforge.protocol.messaging.Topics;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The name of the mutations topic, for every service that writes or reads it: one key, {@code
 * sync.kafka.mutations-topic}, default {@link Topics#MUTATIONS}.
 */
@Singleton
public class MutationsTopic {

  /** The one configuration key of the topic's name. */
  public static final String KEY = "sync.kafka.mutations-topic";

  private final String name;

  MutationsTopic(
      @ConfigProperty(name = "sync.kafka.mutations-topic", defaultValue = Topics.MUTATIONS)
          String name) {
    this.name = name;
  }

  /** The topic's name. */
  public String name() {
    return name;
  }
}
