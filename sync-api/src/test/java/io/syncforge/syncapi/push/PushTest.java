package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.PUSH;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.assertNotProduced;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.postPush;
import static io.syncforge.syncapi.TestSupport.problem;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.service.kafka.SyncMutationsProducer;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import jakarta.inject.Inject;
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
    postPush(tenant, body)
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
      postPush(tenant, body)
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
    problem(
            postPush(
                tenant,
                push(
                    "dev-1",
                    mutation(valid, "tasks", "t-1", "upsert", "{\"a\":1}"),
                    mutation(UUID.randomUUID(), "tasks", "bad/id", "upsert", "{\"a\":1}"),
                    mutation(UUID.randomUUID(), "tasks", "t-3", "upsert", null))),
            400,
            "invalid_request")
        .body("type", equalTo("https://syncforge.io/problems/invalid_request"))
        .body("errors.path", hasItem("mutations[1].recordId"))
        .body("errors.path", hasItem("mutations[2].data"));
    // A later mutation of the same record (same key, same partition) is applied after anything
    // produced before it: if the refused request had produced, its outcome would exist now.
    pushUntilFinal(
        tenant, push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}")));
    assertNotProduced("the valid mutation of a refused request was produced", valid);
  }

  @Test
  void malformedBodiesAreInvalidRequests() {
    String tenant = TestSupport.tenant("malformed");
    for (String body :
        List.of(
            "{\"clientId\":\"dev-1\",\"mutations\":[",
            push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "merge", "{}")),
            push("dev-1", "{\"mutationId\":\"not-a-uuid\",\"collection\":\"tasks\"}"))) {
      problem(postPush(tenant, body), 400, "invalid_request");
    }
    postPush(
            tenant,
            push("bad client id", mutation(UUID.randomUUID(), "tasks", "t-1", "delete", null)))
        .then()
        .statusCode(400)
        .body("errors.path", hasItem("clientId"));
    postPush(tenant, "").then().statusCode(400);
    problem(
        as(tenant).contentType(ContentType.TEXT).body("hello").post(PUSH),
        415,
        "unsupported_media_type");
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
    problem(
        postPush(
            tenant,
            push(
                "dev-1",
                mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}"),
                mutation(UUID.randomUUID(), "widgets", "w-1", "upsert", "{}"))),
        422,
        "unknown_collection");
    problem(
        postPush(
            tenant, push("dev-1", mutation(UUID.randomUUID(), "_secret", "x", "upsert", "{}"))),
        422,
        "unknown_collection");
    // A system collection exists but is written only by services.
    postPush(tenant, push("dev-1", mutation(UUID.randomUUID(), "_media", "x", "upsert", "{}")))
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
    problem(postPush(tenant, push("dev-1", many.toArray(String[]::new))), 413, "payload_too_large");
    String big = "{\"blob\":\"" + "x".repeat(300 * 1024) + "\"}";
    postPush(tenant, push("dev-1", mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", big)))
        .then()
        .statusCode(400)
        .body("errors.path", hasItem("mutations[0].data"));
    List<String> heavy = new ArrayList<>();
    String record = "{\"blob\":\"" + "y".repeat(200 * 1024) + "\"}";
    for (int i = 0; i < 11; i++) {
      heavy.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "upsert", record));
    }
    problem(
        postPush(tenant, push("dev-1", heavy.toArray(String[]::new))), 413, "payload_too_large");
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
    assertEquals(List.of("b"), pulledValues(b));
    assertEquals(List.of("a"), pulledValues(a));
  }

  /** The {@code v} field of every change a first pull of {@code tenant} answers. */
  private static List<String> pulledValues(String tenant) {
    return as(tenant)
        .get(PULL)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("changes.data.v");
  }
}
