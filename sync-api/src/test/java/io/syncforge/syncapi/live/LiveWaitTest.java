package io.syncforge.syncapi.live;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.awaitAtLeast;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.postPush;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.startCursor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import io.syncforge.syncapi.pull.PullService;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  @Inject PullService pulls;

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
    String cursor = startCursor(tenant);
    CompletableFuture<JsonPath> waiting =
        CompletableFuture.supplyAsync(() -> pull(tenant, cursor, null, null, 20));
    awaitAtLeast(1, notifications::waiting, Duration.ofSeconds(10));
    assertTrue(notifications.waiting() > 0, "the pull never parked");
    long pushed = System.nanoTime();
    pushOne(tenant, "dev-1", UUID.randomUUID(), "tasks", "t-1");
    JsonPath answer = waiting.get();
    long ms = (System.nanoTime() - pushed) / 1_000_000;
    System.out.printf("live wait answered %d ms after the push began%n", ms);
    assertEquals(1, answer.getList("changes").size());
    assertTrue(ms < 5000, "answered after " + ms + " ms");
  }

  @Test
  void aWaitingPullWithNothingNewAnswersAtTheTimeout() {
    String tenant = TestSupport.tenant("idle");
    String cursor = startCursor(tenant);
    long start = System.nanoTime();
    assertEquals(0, pull(tenant, cursor, null, null, 1).getList("changes").size());
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("idle wait=1 answered after %d ms%n", ms);
    assertTrue(ms >= 950 && ms < 5000, "answered after " + ms + " ms");
    assertEquals(0, notifications.waiting());
  }

  @Test
  void changesOutsideTheFilterOrOfAnotherTenantDoNotEndTheWait() throws Exception {
    String tenant = TestSupport.tenant("filtered");
    String other = TestSupport.tenant("other");
    String cursor = startCursor(tenant, "notes");
    long start = System.nanoTime();
    CompletableFuture<JsonPath> waiting =
        CompletableFuture.supplyAsync(() -> pull(tenant, cursor, null, "notes", 3));
    awaitAtLeast(1, notifications::waiting, Duration.ofSeconds(2));
    // A change of the tenant in another collection wakes the pull, which reads, finds nothing it
    // wants and parks again; another tenant's change does not wake it at all.
    pushOne(tenant, "dev-1", UUID.randomUUID(), "tasks", "t-1");
    pushOne(other, "dev-1", UUID.randomUUID(), "notes", "n-1");
    JsonPath answer = waiting.get();
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("filtered wait=3 answered after %d ms%n", ms);
    assertEquals(0, answer.getList("changes").size());
    assertTrue(ms >= 2900, "answered after " + ms + " ms");
  }

  /**
   * Several devices of a tenant parked at the same cursor, with and without client ids and filters,
   * woken by one push: each woken answer is what a fresh pull at that cursor with the same
   * parameters returns afterwards, so the pusher gets its receipts and nobody else does.
   */
  @Test
  void devicesWokenTogetherGetWhatAFreshPullGets() throws Exception {
    String tenant = TestSupport.tenant("together");
    String cursor = startCursor(tenant);
    String tasksCursor = startCursor(tenant, "tasks");
    // client id (or null), collections filter (or null)
    String[][] devices = {
      {"dev-a", null}, {"dev-b", null}, {"dev-c", "tasks"}, {null, null}, {"dev-a", null}
    };
    int parkedBefore = notifications.waiting();
    long batchesBefore = pulls.rereadBatches();
    long pullsBefore = pulls.rereadPulls();
    List<CompletableFuture<JsonPath>> waiting = new ArrayList<>();
    for (String[] d : devices) {
      waiting.add(
          CompletableFuture.supplyAsync(
              () -> pull(tenant, d[1] == null ? cursor : tasksCursor, d[0], d[1], 20)));
    }
    awaitAtLeast(parkedBefore + devices.length, notifications::waiting, Duration.ofSeconds(20));
    assertEquals(parkedBefore + devices.length, notifications.waiting(), "not all parked");
    UUID applied = UUID.randomUUID(); // one mutation: one partition, one commit, one wake
    pushOne(tenant, "dev-a", applied, "tasks", "t-1");
    for (int i = 0; i < devices.length; i++) {
      String[] d = devices[i];
      JsonPath woken = waiting.get(i).get();
      JsonPath fresh = pull(tenant, d[1] == null ? cursor : tasksCursor, d[0], d[1], 0);
      String who = d[0] + " " + d[1];
      assertEquals(List.of("t-1"), woken.getList("changes.recordId"), who);
      assertEquals(fresh.getList("changes"), woken.getList("changes"), who);
      assertEquals(fresh.getList("receipts"), woken.getList("receipts"), who);
      assertEquals(fresh.getString("cursor"), woken.getString("cursor"), who);
      List<String> receipts = woken.getList("receipts.mutationId");
      assertEquals("dev-a".equals(d[0]) ? List.of(applied.toString()) : List.of(), receipts, who);
    }
    System.out.printf(
        "woken together: %d pulls answered by %d re-read batches%n",
        pulls.rereadPulls() - pullsBefore, pulls.rereadBatches() - batchesBefore);
  }

  private static JsonPath pull(
      String tenant, String cursor, String clientId, String collections, int wait) {
    var request = as(tenant).queryParam("cursor", cursor).queryParam("wait", wait);
    if (clientId != null) {
      request.header("X-Client-Id", clientId);
    }
    if (collections != null) {
      request.queryParam("collections", collections);
    }
    return request.get(PULL).then().statusCode(200).extract().jsonPath();
  }

  /** One push of an upsert of {@code {}}, accepted (its outcome may still be pending). */
  private static void pushOne(
      String tenant, String clientId, UUID id, String collection, String recordId) {
    postPush(tenant, push(clientId, mutation(id, collection, recordId, "upsert", "{}")))
        .then()
        .statusCode(200);
  }
}
