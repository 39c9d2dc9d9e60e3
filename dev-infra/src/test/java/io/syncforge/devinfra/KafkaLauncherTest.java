package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaLauncherTest {

  @Test
  void producesAndConsumesAcrossPartitions() throws Exception {
    try (RunningKafka kafka =
        KafkaLauncher.builder().dataDir(Path.of("target", "test-kafka-roundtrip")).start()) {
      kafka.createTopic("roundtrip", 6);
      kafka.createTopic("roundtrip", 6); // existing with the same count: fine
      assertThrows(IllegalStateException.class, () -> kafka.createTopic("roundtrip", 3));

      Properties pp = new Properties();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      pp.put(ProducerConfig.ACKS_CONFIG, "all");
      pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      int n = 600;
      try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < n; i++) {
          producer.send(new ProducerRecord<>("roundtrip", "key-" + i, "value-" + i));
        }
        producer.flush();
      }

      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, "roundtrip-test");
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      Set<String> values = new HashSet<>();
      Map<Integer, Integer> perPartition = new HashMap<>();
      try (var consumer =
          new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("roundtrip"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (values.size() < n && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
            values.add(r.value());
            perPartition.merge(r.partition(), 1, Integer::sum);
          }
        }
      }
      assertEquals(n, values.size(), "every record consumed once");
      assertEquals(6, perPartition.size(), "records spread over all partitions: " + perPartition);
    }
  }

  @Test
  void aBrokerLeftRunningOnTheDataDirectoryIsStoppedBeforeANewStart() throws Exception {
    Path dir = Path.of("target", "test-kafka-orphan");
    RunningKafka first = KafkaLauncher.builder().dataDir(dir).start();
    long orphanPid = first.pid();
    // As if the JVM that started it had died without closing it: a new start on the same
    // directory must find the broker through its pid file (by the command-line marker) and stop it.
    try (RunningKafka second = KafkaLauncher.builder().dataDir(dir).fresh(false).start()) {
      org.junit.jupiter.api.Assertions.assertFalse(
          ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false),
          "the orphaned broker was stopped");
      second.createTopic("after-orphan", 1);
    } finally {
      first.close();
    }
  }
}
