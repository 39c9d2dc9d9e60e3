package io.syncforge.syncapi.push;

import io.smallrye.common.annotation.Identifier;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.config.SyncApiConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
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

  /** Longest a {@code send()} may block the calling thread (metadata, buffer), in ms. */
  static final int MAX_BLOCK_MS = 2000;

  private final KafkaProducer<String, String> producer;

  /** The one thread that calls {@code send()}; request threads only enqueue. */
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "sync-api-mutation-sender");
            t.setDaemon(true);
            return t;
          });

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
    // send() blocks only for missing metadata or a full buffer, and only the sender thread; a
    // push stops at its first record that cannot be sent.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(timeoutMs, MAX_BLOCK_MS));
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, timeoutMs / 2));
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "sync-api-mutations");
    this.producer = new KafkaProducer<>(props);
    // Fetch the topic's metadata before the first push needs it (readiness does not wait for
    // Kafka); if Kafka is down this only delays the sender by max.block.ms, once.
    sender.execute(
        () -> {
          try {
            producer.partitionsFor(Topics.MUTATIONS);
          } catch (RuntimeException e) {
            // the first push will try again
          }
        });
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
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      acks.add(new CompletableFuture<>());
    }
    try {
      sender.execute(
          () -> {
            for (int i = 0; i < records.size(); i++) {
              CompletableFuture<RecordMetadata> f = acks.get(i);
              if (System.nanoTime() - deadlineNanos > 0) {
                failFrom(acks, i, new TimeoutException("push deadline passed before sending"));
                return;
              }
              Map.Entry<String, String> r = records.get(i);
              try {
                producer.send(
                    new ProducerRecord<>(Topics.MUTATIONS, r.getKey(), r.getValue()),
                    (meta, e) -> {
                      if (e != null) {
                        f.completeExceptionally(e);
                      } else {
                        f.complete(meta);
                      }
                    });
              } catch (RuntimeException e) {
                failFrom(acks, i, e);
                return;
              }
              if (f.isCompletedExceptionally()) { // e.g. no metadata within max.block.ms
                failFrom(acks, i + 1, new TimeoutException("an earlier record could not be sent"));
                return;
              }
            }
          });
    } catch (RejectedExecutionException e) {
      failFrom(acks, 0, e);
    }
    return acks;
  }

  private static void failFrom(
      List<CompletableFuture<RecordMetadata>> acks, int from, Exception e) {
    for (int i = from; i < acks.size(); i++) {
      acks.get(i).completeExceptionally(e);
    }
  }

  @PreDestroy
  void close() {
    sender.shutdown();
    producer.close();
  }
}
