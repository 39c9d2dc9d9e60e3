package io.syncforge.changelog.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.messaging.MutationKey;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.service.kafka.SyncMutationsProducer;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class AdminResourceTest {

  @Inject AdminService service;

  @Test
  void backOfficeWritesGoThroughTheSharedProducerConfiguration() {
    assertEquals(SyncMutationsProducer.expected(Topics.MUTATIONS), service.producer().effective());
  }

  static String admin(String tenant) {
    return "Bearer " + JwtTestResource.jwt().token(tenant, "ops", true);
  }

  @Test
  void backOfficeWritesTakeTheKafkaPathAndAreApplied() {
    UUID id = UUID.randomUUID();
    String body =
        "{\"mutations\":[{\"mutationId\":\""
            + id
            + "\",\"collection\":\"products\",\"recordId\":\"p1\",\"op\":\"upsert\","
            + "\"baseVersion\":null,\"data\":{\"price\":10}}]}";
    given()
        .header("Authorization", admin("t-admin"))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/admin/mutations")
        .then()
        .statusCode(202)
        .body("outcomes", hasSize(1))
        .body("outcomes[0].status", equalTo("pending"))
        .body("outcomes[0].mutationId", equalTo(id.toString()));
    try (LogFixture log = new LogFixture()) {
      assertEquals("applied", log.awaitOutcome(id, Duration.ofSeconds(30)));
      assertEquals(
          "admin", log.scalar("SELECT client_id FROM change_log WHERE mutation_id = ?", id));
      assertEquals("t-admin", log.scalar("SELECT tenant FROM records WHERE record_id = 'p1'"));
      // The partition is the default partitioner's for the MutationKey, as for devices' pushes.
      byte[] key = MutationKey.of("t-admin", "products", "p1").getBytes(StandardCharsets.UTF_8);
      assertEquals(
          Utils.toPositive(Utils.murmur2(key)) % Topics.DEFAULT_PARTITIONS,
          (int) log.number("SELECT log_partition FROM change_log WHERE mutation_id = ?", id));
    }
  }

  @Test
  void invalidBackOfficeWritesAreRefusedWhole() {
    given()
        .header("Authorization", admin("t-admin"))
        .contentType(ContentType.JSON)
        .body(
            "{\"mutations\":[{\"mutationId\":\""
                + UUID.randomUUID()
                + "\",\"collection\":\"Bad Name\",\"recordId\":\"x\",\"op\":\"upsert\",\"data\":{}}]}")
        .post("/v1/admin/mutations")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"))
        .body("errors[0].path", equalTo("mutations[0].collection"));
    given()
        .header("Authorization", admin("t-admin"))
        .contentType(ContentType.JSON)
        .body("{\"mutations\":[")
        .post("/v1/admin/mutations")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"));
  }

  @Test
  void adminEndpointsNeedAValidTokenWithTheAdminGroup() {
    given().get("/v1/admin/stats").then().statusCode(401);
    given().header("Authorization", "Bearer garbage").get("/v1/admin/stats").then().statusCode(401);
    String expired =
        JwtTestResource.jwt().token("t1", "ops", List.of("sync-admin"), Duration.ofMinutes(-10));
    given()
        .header("Authorization", "Bearer " + expired)
        .get("/v1/admin/stats")
        .then()
        .statusCode(401);
    String device = JwtTestResource.jwt().token("t1", "u1", false);
    given()
        .header("Authorization", "Bearer " + device)
        .get("/v1/admin/stats")
        .then()
        .statusCode(403)
        .contentType("application/problem+json")
        .body("code", equalTo("forbidden"));
  }

  @Test
  void statsCoverEveryPartition() {
    given()
        .header("Authorization", admin("t1"))
        .get("/v1/admin/stats")
        .then()
        .statusCode(200)
        .body("partitions", equalTo(12))
        .body("epoch", equalTo(1))
        .body("perPartition", hasSize(12));
  }

  @Test
  void healthIsReadyWhenTheLoopHasJoined() {
    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
  }
}
