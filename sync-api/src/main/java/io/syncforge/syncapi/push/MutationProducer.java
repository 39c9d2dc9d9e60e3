package io.syncforge.syncapi.push;

import io.smallrye.common.annotation.Identifier;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.config.SyncApiConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The producer of {@code sync.mutations}: idempotent, {@code acks=all}, so an acknowledged mutation
 * is durable and a producer retry never duplicates it. A plain {@link KafkaProducer} because push
 * needs each record's partition and offset (the change log's coordinates) to know when its outcome
 * is committed. Connection settings come from the {@code kafka.*} properties.
 */
@ApplicationScoped
public class MutationProducer {

  private final KafkaProducer<String, String> producer;

  MutationProducer(
      @Identifier("default-kafka-broker") Map<String, Object> kafka, SyncApiConfig config) {
    Map<String, Object> props = new HashMap<>(kafka);
    int timeoutMs = (int) config.push().sendTimeout().toMillis();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    // The producer gives up within the push's send timeout, so a 503 is answered only when the
    // broker really did not take the record in time (it may still take it later: the writer
    // dedupes the client's retry by mutationId).
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, timeoutMs / 2));
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "sync-api-mutations");
    this.producer = new KafkaProducer<>(props);
  }

  /** Sends one envelope; completes with its partition and offset once all replicas have it. */
  public CompletableFuture<RecordMetadata> send(String key, String json) {
    CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
    try {
      producer.send(
          new ProducerRecord<>(Topics.MUTATIONS, key, json),
          (meta, e) -> {
            if (e != null) {
              f.completeExceptionally(e);
            } else {
              f.complete(meta);
            }
          });
    } catch (RuntimeException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  @PreDestroy
  void close() {
    producer.close();
  }
}
