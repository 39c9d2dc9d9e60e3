package io.syncforge.media.outbox;

import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.db;
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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
    long poisonId;
    try (Connection c = db();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO media.outbox (message_key, payload, created_at)"
                    + " VALUES (?, ?, now()) RETURNING id")) {
      ps.setString(1, poisonKey);
      // Above the producer's max.request.size (1 MiB): Kafka refuses it every time.
      ps.setString(2, "x".repeat(2 * 1024 * 1024));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        poisonId = rs.getLong(1);
      }
    }
    try {
      String tenant = newTenant();
      byte[] bytes = content(1000);
      String freshKey = MutationKey.of(tenant, MediaCollection.NAME, sha256(bytes));
      upload(token(tenant, "fresh"), bytes).then().statusCode(201);

      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (queryLong("SELECT count(*) FROM media.outbox WHERE message_key = ?", freshKey) > 0
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(
          0,
          queryLong("SELECT count(*) FROM media.outbox WHERE message_key = ?", freshKey),
          "the fresh tenant's record waits behind the refused one");
      assertTrue(
          queryLong(
                  "SELECT attempts FROM media.outbox WHERE id = ?::bigint",
                  String.valueOf(poisonId))
              >= 1);
      assertEquals(
          1,
          queryLong(
              "SELECT count(*) FROM media.outbox WHERE id = ?::bigint AND next_attempt_at > now()"
                  + " AND last_error IS NOT NULL",
              String.valueOf(poisonId)));
    } finally {
      try (Connection c = db();
          PreparedStatement ps = c.prepareStatement("DELETE FROM media.outbox WHERE id = ?")) {
        ps.setLong(1, poisonId);
        ps.executeUpdate();
      }
    }
  }
}
