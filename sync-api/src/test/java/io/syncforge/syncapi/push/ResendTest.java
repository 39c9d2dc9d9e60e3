package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A device resends its {@code pending} mutations on every sync. While the writer is behind, a
 * resend must not put another copy into {@code sync.mutations} (the writer would only dedupe it,
 * and a writer behind would get more to read the further behind it is): the push waits for the
 * first copy and answers its outcome.
 */
@QuarkusTest
@WithDevInfra
class ResendTest {

  @Test
  void resendsOfPendingMutationsAreNotProducedAgain() throws Exception {
    String tenant = TestSupport.tenant("resend");
    List<String> ms = new ArrayList<>();
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      ms.add(mutation(id, "tasks", "r-" + i, "upsert", "{\"n\":" + i + "}"));
    }
    String body = push("dev-resend", ms.toArray(String[]::new));
    ChangeLogWriter writer = ChangeLogWriter.get();
    long before;
    long afterResends;
    writer.pause();
    try {
      before = endOffsets();
      for (int k = 0; k < 5; k++) {
        as(tenant)
            .body(body)
            .post("/v1/sync/push")
            .then()
            .statusCode(200)
            .body("outcomes.status", everyItem(equalTo("pending")));
      }
      afterResends = endOffsets();
    } finally {
      writer.resume();
    }
    assertEquals(
        20, afterResends - before, "one push and four resends of 20 mutations: copies produced");
    pushUntilFinal(tenant, body)
        .then()
        .body("outcomes", hasSize(20))
        .body("outcomes.status", everyItem(equalTo("applied")))
        .body("outcomes.version", everyItem(equalTo(1)));
    try (Connection c = TestSupport.superuser();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM change_log WHERE tenant = ?")) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(20, rs.getLong(1), "each mutation applied once");
      }
    }
    // A fresh tenant's push still becomes final (nothing is stuck behind the remembered copies).
    String fresh = TestSupport.tenant("resend-fresh");
    pushUntilFinal(fresh, push("dev-f", mutation(UUID.randomUUID(), "tasks", "x", "upsert", "{}")))
        .then()
        .body("outcomes[0].status", equalTo("applied"));
  }

  private static long endOffsets() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts =
          c.partitionsFor(Topics.MUTATIONS).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      return end.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
