package io.syncforge.service.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one producer configuration of the mutations topic, used by all three of its writers (sync-api
 * pushes, change-log-service's admin API, media-service's outbox): idempotent, {@code acks=all}, at
 * most 5 requests in flight (the most idempotence keeps in order), the default partitioner on the
 * {@link io.syncforge.protocol.messaging.MutationKey} ({@code tenant/collection/recordId}: every
 * mutation of a record lands on one partition, applied in order by its one writer), string key and
 * JSON string value. The timeouts follow from the caller's wait: {@code delivery.timeout.ms} is
 * that wait, so a failure means the broker really did not take the record in time; {@code
 * request.timeout.ms} half of it (at least 500 ms); {@code send()} blocks at most {@link
 * #MAX_BLOCK_MS}.
 *
 * <p>A plain {@link KafkaProducer}, not a messaging channel, because push needs each record's
 * partition and offset (the change log's coordinates) to wait for its outcome.
 */
public final class SyncMutationsProducer implements AutoCloseable {

  /** Longest a {@code send()} may block the calling thread (metadata, buffer), in ms. */
  public static final int MAX_BLOCK_MS = 2000;

  /** The settings every writer of the topic must share, with their values. */
  public static final Map<String, Object> GUARANTEES =
      guaranteesOf(settings(Map.of(), "x", 10_000));

  private final KafkaProducer<String, String> producer;
  private final String topic;
  private final Map<String, Object> settings;

  /**
   * @param kafka the service's {@code kafka.*} settings (Quarkus' {@code default-kafka-broker}):
   *     bootstrap servers and connection security
   * @param clientId the Kafka client id, unless {@code kafka} names one
   * @param wait how long the caller waits for an acknowledgement
   * @param topic the mutations topic ({@link MutationsTopic})
   */
  public SyncMutationsProducer(
      Map<String, Object> kafka, String clientId, Duration wait, String topic) {
    this.settings = Map.copyOf(settings(kafka, clientId, Math.toIntExact(wait.toMillis())));
    this.topic = topic;
    this.producer = new KafkaProducer<>(new HashMap<>(settings));
  }

  /**
   * The producer settings: {@code kafka} for connection and security, the shared guarantees over
   * anything it says.
   */
  static Map<String, Object> settings(Map<String, Object> kafka, String clientId, int waitMs) {
    Map<String, Object> props = new HashMap<>();
    kafka.forEach(
        (k, v) -> {
          if (v != null) {
            props.put(k, v);
          }
        });
    props.remove(ProducerConfig.PARTITIONER_CLASS_CONFIG);
    props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    props.put(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG, false);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(waitMs, MAX_BLOCK_MS));
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, waitMs / 2));
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(502, waitMs));
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    return props;
  }

  /**
   * The effective values (as Kafka resolves them, defaults included) of the settings that decide
   * durability, order and partition: equal for every writer of the topic.
   */
  static Map<String, Object> guaranteesOf(Map<String, Object> settings) {
    Map<String, Object> resolved = new HashMap<>(settings);
    resolved.putIfAbsent(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    Map<String, ?> all = new ProducerConfig(resolved).values();
    Map<String, Object> out = new LinkedHashMap<>();
    for (String key :
        List.of(
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            ProducerConfig.RETRIES_CONFIG,
            ProducerConfig.PARTITIONER_CLASS_CONFIG,
            ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.LINGER_MS_CONFIG)) {
      out.put(key, String.valueOf(all.get(key)));
    }
    return out;
  }

  /** The topic this producer writes. */
  public String topic() {
    return topic;
  }

  /** The settings the producer was built with. */
  public Map<String, Object> settings() {
    return settings;
  }

  /** This producer's effective {@link #GUARANTEES} keys. */
  public Map<String, Object> guarantees() {
    return guaranteesOf(settings);
  }

  /** What a writer of {@code topic} must have: the {@link #GUARANTEES} and the topic. */
  public static Map<String, Object> expected(String topic) {
    Map<String, Object> m = new LinkedHashMap<>(GUARANTEES);
    m.put("topic", topic);
    return m;
  }

  /** This producer's {@link #guarantees()} and topic, to compare with {@link #expected}. */
  public Map<String, Object> effective() {
    Map<String, Object> m = new LinkedHashMap<>(guarantees());
    m.put("topic", topic);
    return m;
  }

  /**
   * Fetches the topic's metadata so that the first send does not wait for it; if Kafka is down this
   * costs at most {@code max.block.ms}, once.
   */
  public void warmUp() {
    try {
      producer.partitionsFor(topic);
    } catch (RuntimeException e) {
      // the first send will try again
    }
  }

  /**
   * Sends {@code records} (key, JSON value), in order, from the calling thread, which blocks only
   * for missing metadata or a full buffer (at most {@link #MAX_BLOCK_MS} per record). Each future
   * completes with the record's partition and offset once all in-sync replicas have it. The first
   * record that cannot be sent, or {@code deadlineNanos} ({@link System#nanoTime}) passing before a
   * record is handed over, fails it and the rest unsent: a later record never overtakes an earlier
   * one of the same call.
   */
  public List<CompletableFuture<RecordMetadata>> sendAll(
      List<Map.Entry<String, String>> records, long deadlineNanos) {
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      acks.add(new CompletableFuture<>());
    }
    sendAll(records, deadlineNanos, acks);
    return acks;
  }

  /**
   * As {@link #sendAll(List, long)}, completing the caller's {@code acks} (one per record, created
   * before the send, e.g. on another thread).
   */
  public void sendAll(
      List<Map.Entry<String, String>> records,
      long deadlineNanos,
      List<CompletableFuture<RecordMetadata>> acks) {
    for (int i = 0; i < records.size(); i++) {
      CompletableFuture<RecordMetadata> f = acks.get(i);
      if (System.nanoTime() - deadlineNanos > 0) {
        failFrom(acks, i, new TimeoutException("deadline passed before sending"));
        break;
      }
      Map.Entry<String, String> r = records.get(i);
      try {
        producer.send(
            new ProducerRecord<>(topic, r.getKey(), r.getValue()),
            (meta, e) -> {
              if (e != null) {
                f.completeExceptionally(e);
              } else {
                f.complete(meta);
              }
            });
      } catch (RuntimeException e) {
        failFrom(acks, i, e);
        break;
      }
      if (f.isCompletedExceptionally() && isSystemic(f)) { // e.g. no metadata in max.block.ms
        failFrom(acks, i + 1, new TimeoutException("an earlier record could not be sent"));
        break;
      }
    }
  }

  /** True if a failed send says Kafka cannot take any record now (not just this one). */
  private static boolean isSystemic(CompletableFuture<RecordMetadata> failed) {
    try {
      failed.getNow(null);
      return false;
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause();
      return cause instanceof RetriableException || cause instanceof TimeoutException;
    } catch (java.util.concurrent.CancellationException e) {
      return true;
    }
  }

  /** Completes {@code acks} from index {@code from} on with {@code e}. */
  public static void failFrom(List<CompletableFuture<RecordMetadata>> acks, int from, Exception e) {
    for (int i = from; i < acks.size(); i++) {
      acks.get(i).completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
