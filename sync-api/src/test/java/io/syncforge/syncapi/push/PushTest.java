package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.service.kafka.SyncMutationsProducer;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class PushTest {

  @Inject MutationProducer producer;

  @Test
  void pushesGoThroughTheSharedProducerConfiguration() {
    assertEquals(SyncMutationsProducer.expected(Topics.MUTATIONS), producer.producer().effective());
  }

  @Test
  void pushAnswersFinalOutcomesAndARetryTheSameOnes() {
    String tenant = TestSupport.tenant("push");
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    String body =
        push(
            "dev-1",
            mutation(a, "tasks", "t-1", "upsert", "{\"title\":\"milk\"}"),
            mutation(b, "tasks", "t-missing", "patch", "{\"done\":true}"));
    pushUntilFinal(tenant, body)
        .then()
        .body("outcomes", hasSize(2))
        .body("outcomes[0].mutationId", equalTo(a.toString()))
        .body("outcomes[0].status", equalTo("applied"))
        .body("outcomes[0].version", equalTo(1))
        .body("outcomes[0].collection", equalTo("tasks"))
        .body("outcomes[0].recordId", equalTo("t-1"))
        .body("outcomes[1].status", equalTo("rejected"))
        .body("outcomes[1].error.code", equalTo("not_found"))
        .body("outcomes[1].version", nullValue())
        .body("serverTime", notNullValue());
    // The retry is answered from the recorded outcomes: same status, same version.
    as(tenant)
        .body(body)
        .post("/v1/sync/push")
        .then()
        .statusCode(200)
        .body("outcomes[0].status", equalTo("applied"))
        .body("outcomes[0].version", equalTo(1))
        .body("outcomes[1].status", equalTo("rejected"));
  }

  @Test
  void anOutcomeNotFinalWithinThePushWaitIsPendingAndArrivesAsAReceipt() {
    String tenant = TestSupport.tenant("pending");
    ChangeLogWriter writer = ChangeLogWriter.get();
    UUID id = UUID.randomUUID();
    String body = push("dev-p", mutation(id, "tasks", "t-1", "upsert", "{\"a\":1}"));
    writer.pause();
    try {
      as(tenant)
          .body(body)
          .post("/v1/sync/push")
          .then()
          .statusCode(200)
          .body("outcomes[0].status", equalTo("pending"))
          .body("outcomes[0].mutationId", equalTo(id.toString()));
    } finally {
      writer.resume();
    }
    pushUntilFinal(tenant, body).then().body("outcomes[0].status", equalTo("applied"));
    as(tenant)
        .header("X-Client-Id", "dev-p")
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("receipts.mutationId", hasItem(id.toString()))
        .body("receipts[0].status", equalTo("applied"))
        .body("changes", hasSize(1));
  }

  @Test
  void oneInvalidMutationRefusesTheWholeRequestAndNothingIsProduced() throws Exception {
    String tenant = TestSupport.tenant("invalid");
    UUID valid = UUID.randomUUID();
    as(tenant)
        .body(
            push(
                "dev-1",
                mutation(valid, "tasks", "t-1", "upsert", "{\"a\":1}"),
                mutation(UUID.randomUUID(), "tasks", "bad/id", "upsert", "{\"a\":1}"),
                mutation(UUID.randomUUID(), "tasks", "t-3", "upsert", null)))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"))
        .body("type", equalTo("https://syncforge.io/problems/invalid_request"))
        .body("errors.path", hasItem("mutations[1].recordId"))
        .body("errors.path", hasItem("mutations[2].data"));
    // A later mutation of the same record (same key, same partition) is applied after anything
    // produced before it: if the refused request had produced, its outcome would exist now.
    pushUntilFinal(
        tenant, push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}")));
    try (Connection c = TestSupport.superuser();
        PreparedStatement s =
            c.prepareStatement("SELECT 1 FROM mutation_outcomes WHERE mutation_id = ?")) {
      s.setObject(1, valid);
      assertFalse(s.executeQuery().next(), "the valid mutation of a refused request was produced");
    }
  }

  @Test
  void malformedBodiesAreInvalidRequests() {
    String tenant = TestSupport.tenant("malformed");
    as(tenant)
        .body("{\"clientId\":\"dev-1\",\"mutations\":[")
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"));
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "merge", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid_request"));
    as(tenant)
        .body(push("dev-1", "{\"mutationId\":\"not-a-uuid\",\"collection\":\"tasks\"}"))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid_request"));
    as(tenant)
        .body(push("bad client id", mutation(UUID.randomUUID(), "tasks", "t-1", "delete", null)))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .body("errors.path", hasItem("clientId"));
    as(tenant).body("").post("/v1/sync/push").then().statusCode(400);
    as(tenant)
        .contentType(ContentType.TEXT)
        .body("hello")
        .post("/v1/sync/push")
        .then()
        .statusCode(415)
        .body("code", equalTo("unsupported_media_type"));
  }

  @Test
  void unknownFieldsAreIgnored() {
    String tenant = TestSupport.tenant("unknown-fields");
    String m =
        "{\"mutationId\":\""
            + UUID.randomUUID()
            + "\",\"collection\":\"tasks\",\"recordId\":\"t-1\",\"op\":\"upsert\","
            + "\"data\":{\"a\":1},\"futureField\":{\"x\":1}}";
    pushUntilFinal(tenant, "{\"clientId\":\"dev-1\",\"newThing\":true,\"mutations\":[" + m + "]}")
        .then()
        .body("outcomes[0].status", equalTo("applied"));
  }

  @Test
  void unknownCollectionsRefuseTheWholeRequestWith422() {
    String tenant = TestSupport.tenant("unknown-coll");
    as(tenant)
        .body(
            push(
                "dev-1",
                mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}"),
                mutation(UUID.randomUUID(), "widgets", "w-1", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("code", equalTo("unknown_collection"));
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "_secret", "x", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(422)
        .body("code", equalTo("unknown_collection"));
    // A system collection exists but is written only by services.
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "_media", "x", "upsert", "{}")))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .body("errors.path", hasItem("mutations[0].collection"));
  }

  @Test
  void limitsAreEnforced() {
    String tenant = TestSupport.tenant("limits");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      many.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "delete", null));
    }
    as(tenant)
        .body(push("dev-1", many.toArray(String[]::new)))
        .post("/v1/sync/push")
        .then()
        .statusCode(413)
        .body("code", equalTo("payload_too_large"));
    String big = "{\"blob\":\"" + "x".repeat(300 * 1024) + "\"}";
    as(tenant)
        .body(push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", big)))
        .post("/v1/sync/push")
        .then()
        .statusCode(400)
        .body("errors.path", hasItem("mutations[0].data"));
    List<String> heavy = new ArrayList<>();
    String record = "{\"blob\":\"" + "y".repeat(200 * 1024) + "\"}";
    for (int i = 0; i < 11; i++) {
      heavy.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "upsert", record));
    }
    as(tenant)
        .body(push("dev-1", heavy.toArray(String[]::new)))
        .post("/v1/sync/push")
        .then()
        .statusCode(413)
        .contentType("application/problem+json")
        .body("code", equalTo("payload_too_large"));
  }

  @Test
  void aTenantNeverSeesOrOverwritesAnotherTenantsMutations() {
    String a = TestSupport.tenant("iso-a");
    String b = TestSupport.tenant("iso-b");
    UUID shared = UUID.randomUUID();
    pushUntilFinal(a, push("dev-1", mutation(shared, "tasks", "t-1", "upsert", "{\"v\":\"a\"}")));
    // Same client id, same mutation id, other tenant: its own, separate outcome and record.
    pushUntilFinal(b, push("dev-1", mutation(shared, "tasks", "t-1", "upsert", "{\"v\":\"b\"}")))
        .then()
        .body("outcomes[0].status", equalTo("applied"))
        .body("outcomes[0].version", equalTo(1));
    List<String> seenByB =
        as(b)
            .get("/v1/sync/pull")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("changes.data.v");
    assertEquals(List.of("b"), seenByB);
    List<String> seenByA =
        as(a)
            .get("/v1/sync/pull")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("changes.data.v");
    assertEquals(List.of("a"), seenByA);
  }
}
