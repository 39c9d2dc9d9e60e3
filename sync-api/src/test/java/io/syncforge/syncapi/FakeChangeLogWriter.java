package io.syncforge.syncapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.messaging.ChangeNotification;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A stand-in for change-log-service in sync-api's tests, honouring the writer contract sync-api
 * reads: per poll batch ONE transaction writes records, change_log (keyed by the Kafka
 * coordinates), mutation_outcomes (deduped by tenant/client/mutation) and partition_positions, then
 * one {@link ChangeNotification} per tenant goes to sync.changes. Three threads own four partitions
 * each and commit independently (optionally after a random delay), like one writer per partition.
 * No conflict resolution: upsert replaces, patch merges (a patch of a missing record is rejected
 * with not_found), delete leaves a tombstone.
 */
public final class FakeChangeLogWriter {

  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int THREADS = 3;
  private static FakeChangeLogWriter instance;

  /** Longest random delay before a batch commits, in ms (0 = none). */
  public volatile int jitterMillis;

  /** While true, nothing is applied (mutations wait in Kafka, outcomes stay pending). */
  public volatile boolean paused;

  private final KafkaProducer<String, String> notifier;

  private FakeChangeLogWriter() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    notifier = new KafkaProducer<>(p);
  }

  /** The one writer of the test JVM, started on first use. */
  public static synchronized FakeChangeLogWriter get() {
    if (instance == null) {
      instance = new FakeChangeLogWriter();
      for (int i = 0; i < THREADS; i++) {
        int index = i;
        Thread t = new Thread(() -> instance.run(index), "fake-change-log-writer-" + i);
        t.setDaemon(true);
        t.start();
      }
    }
    return instance;
  }

  private void run(int index) {
    List<TopicPartition> mine = new ArrayList<>();
    for (int p = index; p < Topics.DEFAULT_PARTITIONS; p += THREADS) {
      mine.add(new TopicPartition(Topics.MUTATIONS, p));
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        Connection db = TestSupport.superuser()) {
      db.setAutoCommit(false);
      consumer.assign(mine);
      for (TopicPartition tp : mine) {
        consumer.seek(tp, nextOffset(db, tp.partition()));
      }
      db.commit();
      while (true) {
        if (paused) {
          Thread.sleep(20);
          continue;
        }
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(50));
        if (records.isEmpty()) {
          continue;
        }
        if (paused) {
          // Paused while this poll was in flight: hand the records back untouched.
          for (TopicPartition tp : records.partitions()) {
            consumer.seek(tp, records.records(tp).get(0).offset());
          }
          continue;
        }
        Map<String, Map<Integer, Long>> notify = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
          long last = -1;
          for (ConsumerRecord<String, String> r : records.records(tp)) {
            MutationEnvelope env = MAPPER.readValue(r.value(), MutationEnvelope.class);
            apply(db, r.partition(), r.offset(), env);
            last = r.offset();
            notify.computeIfAbsent(env.tenant(), k -> new HashMap<>()).put(r.partition(), last);
          }
          upsertPosition(db, tp.partition(), last + 1);
        }
        int jitter = jitterMillis;
        if (jitter > 0) {
          Thread.sleep(ThreadLocalRandom.current().nextInt(jitter + 1));
        }
        db.commit();
        // As the contract says: lastOffset = the partition's next_offset - 1 at commit.
        for (TopicPartition tp : records.partitions()) {
          long last = records.records(tp).get(records.records(tp).size() - 1).offset();
          for (Map.Entry<String, Map<Integer, Long>> e : notify.entrySet()) {
            if (e.getValue().containsKey(tp.partition())) {
              String json =
                  MAPPER.writeValueAsString(
                      new ChangeNotification(e.getKey(), tp.partition(), last));
              notifier.send(new ProducerRecord<>(Topics.CHANGES, e.getKey(), json));
            }
          }
        }
        notifier.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      e.printStackTrace();
    }
  }

  private static long nextOffset(Connection db, int p) throws SQLException {
    try (PreparedStatement s =
        db.prepareStatement(
            "SELECT next_offset FROM partition_positions WHERE log_partition = ?")) {
      s.setInt(1, p);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private static void upsertPosition(Connection db, int p, long next) throws SQLException {
    try (PreparedStatement s =
        db.prepareStatement(
            "INSERT INTO partition_positions VALUES (?, ?, now())"
                + " ON CONFLICT (log_partition) DO UPDATE SET next_offset = excluded.next_offset,"
                + " updated_at = now()")) {
      s.setInt(1, p);
      s.setLong(2, next);
      s.executeUpdate();
    }
  }

  private static void apply(Connection db, int p, long offset, MutationEnvelope env)
      throws Exception {
    Mutation m = env.mutation();
    try (PreparedStatement s =
        db.prepareStatement(
            "SELECT 1 FROM mutation_outcomes WHERE tenant = ? AND client_id = ? AND mutation_id = ?")) {
      s.setString(1, env.tenant());
      s.setString(2, env.clientId());
      s.setObject(3, m.mutationId());
      if (s.executeQuery().next()) {
        return; // a duplicate: the first outcome stands
      }
    }
    Long version = null;
    ObjectNode data = null;
    boolean deleted = false;
    try (PreparedStatement s =
        db.prepareStatement(
            "SELECT version, data, deleted FROM records"
                + " WHERE tenant = ? AND collection = ? AND record_id = ? FOR UPDATE")) {
      s.setString(1, env.tenant());
      s.setString(2, m.collection());
      s.setString(3, m.recordId());
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          version = rs.getLong(1);
          data = (ObjectNode) MAPPER.readTree(rs.getString(2));
          deleted = rs.getBoolean(3);
        }
      }
    }
    Instant now = Instant.now();
    ObjectNode after;
    boolean tombstone = false;
    switch (m.op()) {
      case UPSERT -> after = m.data();
      case PATCH -> {
        if (version == null || deleted) {
          outcome(db, p, offset, env, "rejected", null, "not_found", "no such record");
          return;
        }
        ObjectNode merged = data.deepCopy();
        m.data()
            .fields()
            .forEachRemaining(
                f -> {
                  if (f.getValue().isNull()) {
                    merged.remove(f.getKey());
                  } else {
                    merged.set(f.getKey(), f.getValue());
                  }
                });
        after = merged;
      }
      default -> {
        if (version == null || deleted) {
          outcome(db, p, offset, env, "applied", version, null, null);
          return;
        }
        after = data;
        tombstone = true;
      }
    }
    long next = version == null ? 1 : version + 1;
    try (PreparedStatement s =
        db.prepareStatement(
            "INSERT INTO records (tenant, collection, record_id, version, data, deleted,"
                + " state_version, state_time, updated_at, log_partition, log_offset)"
                + " VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, 0, ?, ?, ?)"
                + " ON CONFLICT (tenant, collection, record_id) DO UPDATE SET"
                + " version = excluded.version, data = excluded.data, deleted = excluded.deleted,"
                + " updated_at = excluded.updated_at, log_partition = excluded.log_partition,"
                + " log_offset = excluded.log_offset")) {
      s.setString(1, env.tenant());
      s.setString(2, m.collection());
      s.setString(3, m.recordId());
      s.setLong(4, next);
      s.setString(5, MAPPER.writeValueAsString(after));
      s.setBoolean(6, tombstone);
      s.setLong(7, next);
      s.setTimestamp(8, Timestamp.from(now));
      s.setInt(9, p);
      s.setLong(10, offset);
      s.executeUpdate();
    }
    try (PreparedStatement s =
        db.prepareStatement(
            "INSERT INTO change_log VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)")) {
      s.setInt(1, p);
      s.setLong(2, offset);
      s.setString(3, env.tenant());
      s.setString(4, m.collection());
      s.setString(5, m.recordId());
      s.setLong(6, next);
      s.setString(7, m.op().wire());
      s.setString(8, tombstone ? "{}" : MAPPER.writeValueAsString(after));
      s.setBoolean(9, tombstone);
      s.setObject(10, m.mutationId());
      s.setString(11, env.clientId());
      s.setTimestamp(12, Timestamp.from(now));
      s.executeUpdate();
    }
    outcome(db, p, offset, env, "applied", next, null, null);
  }

  private static void outcome(
      Connection db,
      int p,
      long offset,
      MutationEnvelope env,
      String status,
      Long version,
      String errorCode,
      String errorMessage)
      throws SQLException {
    try (PreparedStatement s =
        db.prepareStatement(
            "INSERT INTO mutation_outcomes (tenant, client_id, mutation_id, log_partition,"
                + " log_offset, collection, record_id, status, version, error_code, error_message,"
                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())")) {
      s.setString(1, env.tenant());
      s.setString(2, env.clientId());
      s.setObject(3, env.mutation().mutationId());
      s.setInt(4, p);
      s.setLong(5, offset);
      s.setString(6, env.mutation().collection());
      s.setString(7, env.mutation().recordId());
      s.setString(8, status);
      s.setObject(9, version);
      s.setString(10, errorCode);
      s.setString(11, errorMessage);
      s.executeUpdate();
    }
  }
}
