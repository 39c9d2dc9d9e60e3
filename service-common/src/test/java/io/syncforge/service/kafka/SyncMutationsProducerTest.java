package io.syncforge.service.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RoundRobinPartitioner;
import org.junit.jupiter.api.Test;

class SyncMutationsProducerTest {

  /** What each of the three writers passes today (see their constructors). */
  private static final Map<String, Integer> WRITERS =
      Map.of("sync-api-mutations", 10_000, "change-log-admin", 10_000, "media-service", 40_000);

  @Test
  void theGuaranteesAreTheSameForEveryWriterWhateverTheirKafkaSettingsSay() {
    Map<String, Object> hostile =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            "broker:9093",
            ProducerConfig.ACKS_CONFIG,
            "1",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            "false",
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            "10",
            ProducerConfig.PARTITIONER_CLASS_CONFIG,
            RoundRobinPartitioner.class.getName(),
            ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG,
            "true",
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            "tx",
            "security.protocol",
            "SASL_SSL");
    for (Map.Entry<String, Integer> w : WRITERS.entrySet()) {
      for (Map<String, Object> kafka : java.util.List.of(Map.<String, Object>of(), hostile)) {
        Map<String, Object> s = SyncMutationsProducer.settings(kafka, w.getKey(), w.getValue());
        assertEquals(SyncMutationsProducer.GUARANTEES, SyncMutationsProducer.guaranteesOf(s));
      }
    }
    // connection settings pass through
    Map<String, Object> s = SyncMutationsProducer.settings(hostile, "c", 10_000);
    assertEquals("SASL_SSL", s.get("security.protocol"));
    assertEquals("broker:9093", s.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
  }

  @Test
  void theGuaranteesAreIdempotentAllReplicasInOrderOnTheKeysPartition() {
    Map<String, Object> g = SyncMutationsProducer.GUARANTEES;
    assertEquals("-1", g.get(ProducerConfig.ACKS_CONFIG)); // "all"
    assertEquals("true", g.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
    int inFlight =
        Integer.parseInt((String) g.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
    assertTrue(inFlight >= 1 && inFlight <= 5, "idempotence keeps order only up to 5 in flight");
    // the default partitioner: murmur2 of the MutationKey, as the writer and its tests expect
    assertEquals("null", g.get(ProducerConfig.PARTITIONER_CLASS_CONFIG));
    assertEquals("false", g.get(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG));
    assertEquals("null", g.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
  }

  @Test
  void theTimeoutsFollowTheCallersWaitAndKafkaAcceptsThem() {
    for (int wait : new int[] {1, 500, 3_000, 10_000, 40_000}) {
      Map<String, Object> s = SyncMutationsProducer.settings(Map.of(), "c", wait);
      int delivery = (Integer) s.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
      int request = (Integer) s.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
      int linger = (Integer) s.get(ProducerConfig.LINGER_MS_CONFIG);
      int block = (Integer) s.get(ProducerConfig.MAX_BLOCK_MS_CONFIG);
      assertTrue(delivery >= wait || wait < 502, "delivery " + delivery + " for wait " + wait);
      assertTrue(delivery >= request + linger, "Kafka refuses delivery < request + linger");
      assertTrue(block <= SyncMutationsProducer.MAX_BLOCK_MS && block <= Math.max(wait, 1));
      // Kafka itself validates the combination
      SyncMutationsProducer.guaranteesOf(s);
    }
    Map<String, Object> push = SyncMutationsProducer.settings(Map.of(), "c", 10_000);
    assertEquals(10_000, push.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    assertEquals(5_000, push.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
    assertEquals(2_000, push.get(ProducerConfig.MAX_BLOCK_MS_CONFIG));
  }

  @Test
  void aProducerKeepsItsSettingsAndTopic() {
    try (SyncMutationsProducer p =
        new SyncMutationsProducer(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"),
            "c",
            Duration.ofSeconds(3),
            "t")) {
      assertEquals("t", p.topic());
      assertEquals(SyncMutationsProducer.GUARANTEES, p.guarantees());
      assertEquals(SyncMutationsProducer.expected("t"), p.effective());
      assertEquals("c", p.settings().get(ProducerConfig.CLIENT_ID_CONFIG));
    }
  }
}
