package io.syncforge.syncapi;

import static io.restassured.RestAssured.given;
import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.PUSH;
import static io.syncforge.syncapi.TestSupport.SNAPSHOT;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.problem;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class SecurityAndTransportTest {

  private static final List<String> ENDPOINTS = List.of(PULL, SNAPSHOT);

  @Test
  void noBadOrExpiredTokenIs401ProblemJson() {
    String expired = JwtTestResource.jwt().token("acme", "u", List.of(), Duration.ofMinutes(-5));
    for (String path : ENDPOINTS) {
      unauthorized(given().get(path));
      unauthorized(given().auth().oauth2("not.a.jwt").get(path));
      unauthorized(given().auth().oauth2(expired).get(path));
    }
    unauthorized(given().contentType("application/json").body("{}").post(PUSH));
  }

  private static void unauthorized(Response r) {
    problem(r, 401, "unauthorized");
  }

  @Test
  void aTokenWithoutTenantIs401() {
    String noTenant = JwtTestResource.jwt().token(null, "u", List.of(), Duration.ofMinutes(5));
    for (String path : ENDPOINTS) {
      unauthorized(given().auth().oauth2(noTenant).get(path));
    }
    unauthorized(
        given()
            .auth()
            .oauth2(noTenant)
            .contentType("application/json")
            .body("{\"clientId\":\"d\",\"mutations\":[]}")
            .post(PUSH));
  }

  @Test
  void responsesAreGzippedWhenAccepted() {
    Response r =
        as(TestSupport.tenant("gzip"))
            .config(TestSupport.rawBodies())
            .header("Accept-Encoding", "gzip")
            .get(PULL);
    r.then().statusCode(200).header("Content-Encoding", "gzip");
    byte[] raw = r.asByteArray();
    assertTrue(raw.length > 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b, "gzip magic");
  }

  @Test
  void healthMetricsAndOpenApiNeedNoToken() {
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body(allOf(containsString("UP"), containsString("sync-api")));
    // Dependencies are a separate detail, not part of readiness (issue 13 item 3).
    given()
        .get("/q/health/group/dependencies")
        .then()
        .statusCode(200)
        .body(allOf(containsString("postgresql"), containsString("kafka")));
    String openapi = given().get("/q/openapi").then().statusCode(200).extract().asString();
    for (String path : List.of("/v1/sync/push", "/v1/sync/pull", "/v1/sync/snapshot")) {
      assertTrue(openapi.contains(path), path + " in " + openapi);
    }
    for (String fragment :
        List.of("PushRequest", "PullResponse", "SnapshotPage", "Problem", "\"410\"")) {
      assertTrue(openapi.contains(fragment), fragment);
    }
    // Shared error responses reach every operation; an operation's own wording is kept.
    io.restassured.path.json.JsonPath doc =
        given()
            .queryParam("format", "json")
            .get("/q/openapi")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    for (String op :
        List.of("'/v1/sync/push'.post", "'/v1/sync/pull'.get", "'/v1/sync/snapshot'.get")) {
      for (String code : List.of("401", "403", "503")) {
        assertTrue(
            doc.getMap("paths." + op + ".responses").containsKey(code), op + " documents " + code);
      }
      // Every error response of the operation has the problem+json body, and its schema exists.
      assertTrue(doc.getMap("components.schemas").containsKey("Problem"), "Problem schema");
      Map<String, Object> responses = doc.getMap("paths." + op + ".responses");
      for (String code : responses.keySet()) {
        if (code.matches("[45]\\d\\d")) {
          Map<String, Object> content =
              doc.getMap("paths." + op + ".responses.'" + code + "'.content");
          assertTrue(
              content != null && content.containsKey("application/problem+json"),
              op + " " + code + " has a problem+json body");
        }
      }
    }
    assertTrue(
        doc.getString("paths.'/v1/sync/push'.post.responses.'503'.description").contains("Kafka"));
    // One pull and one error, so every meter exists.
    as(TestSupport.tenant("metrics")).get("/v1/sync/pull").then().statusCode(200);
    given().get("/v1/sync/pull").then().statusCode(401);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    for (String m :
        List.of(
            "sync_pull_waiting",
            "sync_pull_latency",
            "sync_pull_rows",
            "sync_errors_total{code=\"unauthorized\"")) {
      assertTrue(
          metrics.contains(m),
          m + " in " + metrics.lines().filter(l -> l.startsWith("sync")).toList());
    }
  }

  @Test
  void errorsNeverLeakInternals() {
    String body =
        as(TestSupport.tenant("leak"))
            .body("{\"clientId\":")
            .post("/v1/sync/push")
            .then()
            .statusCode(400)
            .extract()
            .asString();
    assertTrue(!body.contains("at io.") && !body.contains("Exception"), body);
    assertEquals(404, as("acme").get("/v1/sync/nothing").statusCode());
    as("acme").get("/v1/sync/nothing").then().body(not(containsString("Exception")));
  }
}
