package io.syncforge.media.meta;

import static io.syncforge.media.MediaTestSupport.adminToken;
import static io.syncforge.media.MediaTestSupport.assertMayNotDelete;
import static io.syncforge.media.MediaTestSupport.await;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.delete;
import static io.syncforge.media.MediaTestSupport.execute;
import static io.syncforge.media.MediaTestSupport.fetch;
import static io.syncforge.media.MediaTestSupport.fetchMeta;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.queryLong;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static io.syncforge.media.MediaTestSupport.uploadNamed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.MutationKey;
import io.syncforge.protocol.messaging.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The {@code _media} records reaching {@code sync.mutations}, and delete permissions. */
@QuarkusTest
@WithDevInfra
class MediaSyncTest {

  private static final ObjectMapper JSON = Json.newMapper();

  @Test
  void uploadPublishesAnUpsertAndDeletePublishesATombstone() throws Exception {
    String tenant = newTenant();
    byte[] bytes = content(3000);
    String sha = sha256(bytes);
    String key = MutationKey.of(tenant, MediaCollection.NAME, sha);
    List<MutationEnvelope> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer()) {
      uploadNamed(token(tenant, "alice"), "application/pdf", "plan.pdf", bytes)
          .then()
          .statusCode(201);

      MutationEnvelope upsert = awaitRecords(consumer, key, 1, received).get(0);
      assertEquals(tenant, upsert.tenant());
      assertEquals("alice", upsert.userId());
      assertEquals("media-service", upsert.clientId());
      assertEquals(MutationEnvelope.SOURCE_MEDIA, upsert.source());
      assertEquals(Op.UPSERT, upsert.mutation().op());
      assertEquals(MediaCollection.NAME, upsert.mutation().collection());
      assertEquals(sha, upsert.mutation().recordId());
      var data = upsert.mutation().data();
      assertEquals(sha, data.get("sha256").asText());
      assertEquals(3000, data.get("size").asLong());
      assertEquals("application/pdf", data.get("contentType").asText());
      assertEquals("plan.pdf", data.get("fileName").asText());
      assertEquals("alice", data.get("uploadedBy").asText());
      assertTrue(data.hasNonNull("uploadedAt"));

      // Same tenant, another user: not the owner, not admin.
      assertMayNotDelete(token(tenant, "bob"), sha);
      delete(token(tenant, "alice"), sha).then().statusCode(204);
      fetch(token(tenant, "alice"), sha).then().statusCode(404);

      List<MutationEnvelope> both = awaitRecords(consumer, key, 2, received);
      MutationEnvelope tombstone = both.get(1);
      assertEquals(Op.DELETE, tombstone.mutation().op());
      assertEquals(sha, tombstone.mutation().recordId());
      assertEquals(MutationEnvelope.SOURCE_MEDIA, tombstone.source());
      assertNotEquals(upsert.mutation().mutationId(), tombstone.mutation().mutationId());
    }
    awaitOutboxEmpty();
  }

  @Test
  void adminMayDeleteAnotherUsersMedia() {
    String tenant = newTenant();
    byte[] bytes = content(100);
    upload(token(tenant, "alice"), bytes).then().statusCode(201);
    delete(adminToken(tenant, "root"), sha256(bytes)).then().statusCode(204);
    fetchMeta(token(tenant, "alice"), sha256(bytes)).then().statusCode(404);
  }

  /** What a Kafka outage or a crash leaves behind is sent by the timer, then deleted. */
  @Test
  void leftoverOutboxRowsArePublishedByTheTimer() throws Exception {
    String tenant = newTenant();
    String sha = sha256(content(10));
    String key = MutationKey.of(tenant, MediaCollection.NAME, sha);
    MutationEnvelope envelope =
        new MutationEnvelope(
            tenant,
            "alice",
            "media-service",
            new Mutation(UUID.randomUUID(), MediaCollection.NAME, sha, Op.DELETE, null, null, null),
            Instant.now(),
            MutationEnvelope.SOURCE_MEDIA);
    List<MutationEnvelope> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer()) {
      execute(
          "INSERT INTO media.outbox (message_key, payload, created_at) VALUES (?, ?, now())",
          key,
          JSON.writeValueAsString(envelope));
      MutationEnvelope sent = awaitRecords(consumer, key, 1, received).get(0);
      assertEquals(envelope.mutation().mutationId(), sent.mutation().mutationId());
    }
    awaitOutboxEmpty();
  }

  private static KafkaConsumer<String, String> consumer() {
    KafkaConsumer<String, String> c =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "media-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer());
    c.subscribe(List.of(Topics.MUTATIONS));
    return c;
  }

  /** Polls until {@code count} records with the key arrived (in partition order). */
  private static List<MutationEnvelope> awaitRecords(
      KafkaConsumer<String, String> consumer, String key, int count, List<MutationEnvelope> found)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (found.size() < count && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
        if (key.equals(r.key())) {
          found.add(JSON.readValue(r.value(), MutationEnvelope.class));
        }
      }
    }
    assertEquals(count, found.size(), "records with key " + key);
    return found;
  }

  private static void awaitOutboxEmpty() throws Exception {
    await(Duration.ofSeconds(30), 100, () -> outboxRows() == 0);
    assertEquals(0, outboxRows(), "outbox rows not sent");
  }

  private static long outboxRows() throws Exception {
    return queryLong("SELECT count(*) FROM media.outbox");
  }
}
