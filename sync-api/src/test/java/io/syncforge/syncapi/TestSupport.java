package io.syncforge.syncapi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.restassured.config.DecoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.zip.GZIPInputStream;

/** Shared helpers of the sync-api tests. */
public final class TestSupport {
  private TestSupport() {}

  public static final String PUSH = "/v1/sync/push";
  public static final String PULL = "/v1/sync/pull";
  public static final String SNAPSHOT = "/v1/sync/snapshot";

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
  public static Response pushUntilFinal(String tenant, String body) {
    ChangeLogWriter.get();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      Response r = postPush(tenant, body);
      r.then().statusCode(200);
      List<String> statuses = r.jsonPath().getList("outcomes.status");
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

  /** One push of {@code body} as a device of {@code tenant}, answered as it is (no retry). */
  public static Response postPush(String tenant, String body) {
    return as(tenant).body(body).post(PUSH);
  }

  /** {@code count} upserts of {@code {}} into tasks, record ids {@code prefix0, prefix1, ...}. */
  public static String[] upserts(String prefix, int count) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      all.add(mutation(UUID.randomUUID(), "tasks", prefix + i, "upsert", "{}"));
    }
    return all.toArray(String[]::new);
  }

  /** The cursor a first pull of {@code tenant} answers (the log start, all collections). */
  public static String startCursor(String tenant) {
    return cursor(as(tenant));
  }

  /** The cursor a first pull of {@code tenant} restricted to {@code collections} answers. */
  public static String startCursor(String tenant, String collections) {
    return cursor(as(tenant).queryParam("collections", collections));
  }

  private static String cursor(RequestSpecification pull) {
    return pull.get(PULL).then().statusCode(200).extract().path("cursor");
  }

  /** Asserts a problem+json answer of {@code status} with {@code code}; more can be chained. */
  public static ValidatableResponse problem(Response r, int status, String code) {
    return r.then()
        .statusCode(status)
        .contentType("application/problem+json")
        .body("code", equalTo(code));
  }

  /** Asserts that no mutation of {@code ids} has an outcome: a refused request produced nothing. */
  public static void assertNotProduced(String what, UUID... ids) throws SQLException {
    try (Connection c = superuser();
        PreparedStatement s =
            c.prepareStatement("SELECT 1 FROM mutation_outcomes WHERE mutation_id = ?")) {
      for (UUID id : ids) {
        s.setObject(1, id);
        assertFalse(s.executeQuery().next(), what);
      }
    }
  }

  /** Runs {@code sql} as the superuser. */
  public static void execute(String sql) throws SQLException {
    try (Connection c = superuser();
        Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  /** A RestAssured configuration that leaves the body as sent (no gzip decoding). */
  public static RestAssuredConfig rawBodies() {
    return RestAssuredConfig.config()
        .decoderConfig(DecoderConfig.decoderConfig().noContentDecoders());
  }

  /** The bytes of a gzip stream. */
  public static byte[] gunzip(byte[] gzipped) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      return in.readAllBytes();
    }
  }

  /**
   * Waits (polling) until {@code waiting} reaches at least {@code count}, or the timeout passes.
   */
  public static void awaitAtLeast(int count, IntSupplier waiting, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (waiting.getAsInt() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** A test profile that only overrides configuration: {@code key, value, key, value, ...}. */
  public abstract static class ConfigOverrides implements QuarkusTestProfile {
    private final Map<String, String> overrides = new HashMap<>();

    protected ConfigOverrides(String... keysAndValues) {
      for (int i = 0; i < keysAndValues.length; i += 2) {
        overrides.put(keysAndValues[i], keysAndValues[i + 1]);
      }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
      return overrides;
    }
  }
}
