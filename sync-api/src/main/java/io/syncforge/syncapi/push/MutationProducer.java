package io.syncforge.syncapi.push;

import io.smallrye.common.annotation.Identifier;
import io.syncforge.service.kafka.MutationsTopic;
import io.syncforge.service.kafka.SyncMutationsProducer;
import io.syncforge.syncapi.config.SyncApiConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The push side of {@code sync.mutations}: service-common's {@link SyncMutationsProducer} (the one
 * producer configuration of the topic: idempotent, {@code acks=all}, delivery timeout = the push's
 * send timeout, so a 503 is answered only when the broker really did not take the record in time;
 * it may still take it later, and the writer dedupes the client's retry by mutationId), driven from
 * one sender thread so that no request thread blocks in {@code send()}. Connection settings come
 * from the {@code kafka.*} properties.
 */
@ApplicationScoped
public class MutationProducer {

  /** Longest a {@code send()} may block the sender thread (metadata, buffer), in ms. */
  static final int MAX_BLOCK_MS = SyncMutationsProducer.MAX_BLOCK_MS;

  private final SyncMutationsProducer producer;

  /** The one thread that calls {@code send()}; request threads only enqueue. */
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "sync-api-mutation-sender");
            t.setDaemon(true);
            return t;
          });

  MutationProducer(
      @Identifier("default-kafka-broker") Map<String, Object> kafka,
      SyncApiConfig config,
      MutationsTopic topic) {
    this.producer =
        new SyncMutationsProducer(
            kafka, "sync-api-mutations", config.push().sendTimeout(), topic.name());
    // Fetch the topic's metadata before the first push needs it (readiness does not wait for
    // Kafka); if Kafka is down this only delays the sender by max.block.ms, once.
    sender.execute(producer::warmUp);
  }

  /** The shared producer (its topic and effective settings). */
  SyncMutationsProducer producer() {
    return producer;
  }

  /**
   * Sends a push's records, in order, from the one sender thread, so that no request thread ever
   * blocks in {@code send()} (which waits for metadata or buffer space up to {@link
   * #MAX_BLOCK_MS}). Completes with each record's partition and offset once all replicas have it.
   * The first record that cannot be sent, or the {@code deadlineNanos} ({@link System#nanoTime})
   * passing before a record is handed over, fails the rest unsent: the push answers 503 and the
   * client retries it whole (the writer dedupes by mutationId).
   */
  public List<CompletableFuture<RecordMetadata>> sendAll(
      List<Map.Entry<String, String>> records, long deadlineNanos) {
    List<CompletableFuture<RecordMetadata>> acks =
        records.stream().map(r -> new CompletableFuture<RecordMetadata>()).toList();
    try {
      sender.execute(() -> producer.sendAll(records, deadlineNanos, acks));
    } catch (RejectedExecutionException e) {
      SyncMutationsProducer.failFrom(acks, 0, e);
    }
    return acks;
  }

  @PreDestroy
  void close() {
    sender.shutdown();
    producer.close();
  }
}
