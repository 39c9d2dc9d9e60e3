package io.syncforge.media.outbox;

import static io.syncforge.media.MediaTestSupport.await;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.execute;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.queryLong;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.messaging.MutationKey;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.service.kafka.SyncMutationsProducer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Issue 14, item 2: an outbox row Kafka keeps refusing does not stop the rows after it. */
@QuarkusTest
@WithDevInfra
class OutboxPoisonTest {

  @Inject OutboxPublisher publisher;

  @Test
  void theOutboxGoesThroughTheSharedProducerConfiguration() {
    assertEquals(
        SyncMutationsProducer.expected(Topics.MUTATIONS), publisher.producer().effective());
  }

  @Test
  void aRecordKafkaRefusesIsRetriedLaterWhileFreshUploadsAreStillPublished() throws Exception {
    String poisonTenant = newTenant();
    String poisonKey = MutationKey.of(poisonTenant, MediaCollection.NAME, sha256(content(8)));
    String poisonId =
        String.valueOf(
            queryLong(
                "INSERT INTO media.outbox (message_key, payload, created_at)"
                    + " VALUES (?, ?, now()) RETURNING id",
                poisonKey,
                // Above the producer's max.request.size (1 MiB): Kafka refuses it every time.
                "x".repeat(2 * 1024 * 1024)));
    try {
      String tenant = newTenant();
      byte[] bytes = content(1000);
      String freshKey = MutationKey.of(tenant, MediaCollection.NAME, sha256(bytes));
      upload(token(tenant, "fresh"), bytes).then().statusCode(201);

      await(Duration.ofSeconds(30), 100, () -> outboxRows(freshKey) == 0);
      assertEquals(
          0, outboxRows(freshKey), "the fresh tenant's record waits behind the refused one");
      assertTrue(
          queryLong("SELECT attempts FROM media.outbox WHERE id = ?::bigint", poisonId) >= 1);
      assertEquals(
          1,
          queryLong(
              "SELECT count(*) FROM media.outbox WHERE id = ?::bigint AND next_attempt_at > now()"
                  + " AND last_error IS NOT NULL",
              poisonId));
    } finally {
      execute("DELETE FROM media.outbox WHERE id = ?::bigint", poisonId);
    }
  }

  private static long outboxRows(String messageKey) throws Exception {
    return queryLong("SELECT count(*) FROM media.outbox WHERE message_key = ?", messageKey);
  }
}
