package io.syncforge.syncapi.live;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class LiveWaitTest {

  @Inject ChangeNotifications notifications;

  /** The notification consumer joins its group at start; make sure it receives before testing. */
  @BeforeEach
  void notificationsFlow() throws Exception {
    ChangeLogWriter.get();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      while (notifications.watermark(200) < 0 && System.nanoTime() < deadline) {
        producer.send(
            new ProducerRecord<>(
                Topics.CHANGES,
                "warmup",
                "{\"tenant\":\"warmup\",\"partition\":200,\"lastOffset\":0}"));
        producer.flush();
        Thread.sleep(200);
      }
    }
    assertTrue(notifications.watermark(200) >= 0, "sync.changes consumer never received");
  }

  @Test
  void aWaitingPullAnswersSoonAfterAChange() throws Exception {
    String tenant = TestSupport.tenant("live");
    String cursor = as(tenant).get("/v1/sync/pull").then().statusCode(200).extract().path("cursor");
    CompletableFuture<JsonPath> waiting =
        CompletableFuture.supplyAsync(
            () ->
                as(tenant)
                    .queryParam("cursor", cursor)
                    .queryParam("wait", 20)
                    .get("/v1/sync/pull")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath());
    long parkedBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (notifications.waiting() == 0 && System.nanoTime() < parkedBy) {
      Thread.sleep(20);
    }
    assertTrue(notifications.waiting() > 0, "the pull never parked");
    long pushed = System.nanoTime();
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(200);
    JsonPath answer = waiting.get();
    long ms = (System.nanoTime() - pushed) / 1_000_000;
    System.out.printf("live wait answered %d ms after the push began%n", ms);
    assertEquals(1, answer.getList("changes").size());
    assertTrue(ms < 5000, "answered after " + ms + " ms");
  }

  @Test
  void aWaitingPullWithNothingNewAnswersAtTheTimeout() {
    String tenant = TestSupport.tenant("idle");
    String cursor = as(tenant).get("/v1/sync/pull").then().statusCode(200).extract().path("cursor");
    long start = System.nanoTime();
    as(tenant)
        .queryParam("cursor", cursor)
        .queryParam("wait", 1)
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("changes", hasSize(0));
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("idle wait=1 answered after %d ms%n", ms);
    assertTrue(ms >= 950 && ms < 5000, "answered after " + ms + " ms");
    assertEquals(0, notifications.waiting());
  }

  @Test
  void changesOutsideTheFilterOrOfAnotherTenantDoNotEndTheWait() throws Exception {
    String tenant = TestSupport.tenant("filtered");
    String other = TestSupport.tenant("other");
    String cursor =
        as(tenant)
            .queryParam("collections", "notes")
            .get("/v1/sync/pull")
            .then()
            .statusCode(200)
            .extract()
            .path("cursor");
    long start = System.nanoTime();
    CompletableFuture<JsonPath> waiting =
        CompletableFuture.supplyAsync(
            () ->
                as(tenant)
                    .queryParam("cursor", cursor)
                    .queryParam("collections", "notes")
                    .queryParam("wait", 3)
                    .get("/v1/sync/pull")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath());
    while (notifications.waiting() == 0 && System.nanoTime() - start < 2_000_000_000L) {
      Thread.sleep(10);
    }
    // A change of the tenant in another collection wakes the pull, which reads, finds nothing it
    // wants and parks again; another tenant's change does not wake it at all.
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(200);
    as(other)
        .body(push("dev-1", mutation(UUID.randomUUID(), "notes", "n-1", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(200);
    JsonPath answer = waiting.get();
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("filtered wait=3 answered after %d ms%n", ms);
    assertEquals(0, answer.getList("changes").size());
    assertTrue(ms >= 2900, "answered after " + ms + " ms");
  }
}
