package io.syncforge.syncapi;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;

/** Shared helpers of the sync-api tests. */
public final class TestSupport {
  private TestSupport() {}

  /** A device token of {@code tenant}. */
  public static String token(String tenant) {
    return JwtTestResource.jwt().token(tenant, "user-" + tenant, false);
  }

  /** A request authenticated as a device of {@code tenant}. */
  public static RequestSpecification as(String tenant) {
    return given().auth().oauth2(token(tenant)).contentType(ContentType.JSON);
  }

  /** A superuser connection to the test database. */
  public static Connection superuser() throws SQLException {
    return DriverManager.getConnection(PostgresTestResource.jdbcUrl(), "postgres", "");
  }

  /** A fresh tenant name, so test classes never see each other's data. */
  public static String tenant(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** One mutation as JSON. */
  public static String mutation(
      UUID id, String collection, String recordId, String op, String data) {
    return "{\"mutationId\":\""
        + id
        + "\",\"collection\":\""
        + collection
        + "\",\"recordId\":\""
        + recordId
        + "\",\"op\":\""
        + op
        + "\""
        + (data == null ? "" : ",\"data\":" + data)
        + "}";
  }

  /**
   * Pushes {@code body} until every outcome is final (a retry is always safe), at most 20 s;
   * returns the last response.
   */
  public static io.restassured.response.Response pushUntilFinal(String tenant, String body) {
    ChangeLogWriter.get();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (true) {
      io.restassured.response.Response r = as(tenant).body(body).post("/v1/sync/push");
      r.then().statusCode(200);
      java.util.List<String> statuses = r.jsonPath().getList("outcomes.status");
      if (!statuses.contains("pending") || System.nanoTime() > deadline) {
        return r;
      }
    }
  }

  /** A push body. */
  public static String push(String clientId, String... mutations) {
    return "{\"clientId\":\""
        + clientId
        + "\",\"mutations\":["
        + String.join(",", mutations)
        + "]}";
  }
}
