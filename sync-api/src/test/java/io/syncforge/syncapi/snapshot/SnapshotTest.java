package io.syncforge.syncapi.snapshot;

import static io.syncforge.syncapi.TestSupport.PULL;
import static io.syncforge.syncapi.TestSupport.SNAPSHOT;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.gunzip;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.problem;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static io.syncforge.syncapi.TestSupport.rawBodies;
import static io.syncforge.syncapi.TestSupport.startCursor;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class SnapshotTest {

  @Test
  void snapshotPagesThenPullFromItsCursorMissNothing() {
    String tenant = TestSupport.tenant("snap");
    List<String> ms = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ms.add(mutation(UUID.randomUUID(), "tasks", "t-" + i, "upsert", "{\"i\":" + i + "}"));
    }
    ms.add(mutation(UUID.randomUUID(), "notes", "n-1", "upsert", "{}"));
    ms.add(mutation(UUID.randomUUID(), "notes", "n-1", "delete", null));
    pushUntilFinal(tenant, push("dev-1", ms.toArray(String[]::new)));

    JsonPath first = page(as(tenant).queryParam("limit", 3));
    String cursor = first.getString("cursor");
    assertEquals(List.of("t-0", "t-1", "t-2"), first.getList("records.recordId"));
    // Written during the snapshot: a new record before the keyset position, a change after it.
    pushUntilFinal(
        tenant,
        push(
            "dev-1",
            mutation(UUID.randomUUID(), "tasks", "a-0", "upsert", "{}"),
            mutation(UUID.randomUUID(), "tasks", "t-6", "patch", "{\"late\":true}")));
    Map<String, Integer> records = new HashMap<>();
    versions(first, "records").forEach(records::put);
    String token = first.getString("nextPageToken");
    int pages = 1;
    while (token != null) {
      JsonPath page = page(as(tenant).queryParam("limit", 3).queryParam("pageToken", token));
      assertEquals(cursor, page.getString("cursor"), "every page carries the starting cursor");
      versions(page, "records").forEach(records::put);
      token = page.getString("nextPageToken");
      pages++;
    }
    assertEquals(3, pages);
    assertNull(records.get("n-1"), "tombstones are not in a snapshot");
    // Pull from the snapshot's cursor: everything written meanwhile arrives.
    JsonPath pulled =
        as(tenant)
            .queryParam("cursor", cursor)
            .get(PULL)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    versions(pulled, "changes").forEach((id, v) -> records.merge(id, v, Math::max));
    assertEquals(8, records.size(), records.toString());
    assertEquals(2, records.get("t-6"));
    assertEquals(1, records.get("a-0"));
  }

  @Test
  void tokensAreCheckedAndTenantsIsolated() {
    String a = TestSupport.tenant("snap-a");
    String b = TestSupport.tenant("snap-b");
    pushUntilFinal(
        a,
        push(
            "dev-1",
            mutation(UUID.randomUUID(), "tasks", "t-1", "upsert", "{}"),
            mutation(UUID.randomUUID(), "tasks", "t-2", "upsert", "{}")));
    as(b).get(SNAPSHOT).then().statusCode(200).body("records", hasSize(0));
    String token = page(as(a).queryParam("limit", 1)).getString("nextPageToken");
    // Another tenant replaying a's page token still reads only its own records.
    snapshotAt(b, "pageToken", token).then().statusCode(200).body("records", hasSize(0));
    problem(snapshotAt(a, "pageToken", "garbage"), 400, "cursor_invalid");
    // A cursor is not a page token.
    String cursor = startCursor(a);
    problem(snapshotAt(a, "pageToken", cursor), 400, "cursor_invalid");
    problem(
        as(a).queryParam("pageToken", token).queryParam("collections", "notes").get(SNAPSHOT),
        410,
        "scope_changed");
    snapshotAt(a, "limit", "0").then().statusCode(400);
    snapshotAt(a, "collections", "notes").then().statusCode(200).body("records", hasSize(0));
  }

  @Test
  void pagesAreCompactJsonGzippedOnceOnlyWhenAskedAndTheFirstCarriesTheTotal() throws Exception {
    String tenant = TestSupport.tenant("snap-wire");
    List<String> ms = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      // Spaces, an escaped quote, a backslash and non-ASCII inside strings survive compaction.
      ms.add(
          mutation(
              UUID.randomUUID(),
              "tasks",
              "t-" + i,
              "upsert",
              "{\"title\": \"a \\\" b \\\\ c , d : é\", \"n\": [1, 2.5, {\"x\": null}]}"));
    }
    ms.add(mutation(UUID.randomUUID(), "tasks", "gone", "upsert", "{}"));
    ms.add(mutation(UUID.randomUUID(), "tasks", "gone", "delete", null));
    pushUntilFinal(tenant, push("dev-1", ms.toArray(String[]::new)));

    // Asked for gzip: compressed once (the HTTP layer must not compress again).
    Response zipped =
        as(tenant)
            .config(rawBodies())
            .header("Accept-Encoding", "gzip")
            .queryParam("limit", 3)
            .get(SNAPSHOT);
    zipped.then().statusCode(200);
    assertEquals(List.of("gzip"), zipped.headers().getValues("Content-Encoding"));
    byte[] json = gunzip(zipped.asByteArray());
    String text = new String(json, java.nio.charset.StandardCharsets.UTF_8);
    com.fasterxml.jackson.databind.JsonNode first =
        io.syncforge.protocol.Json.newMapper().readTree(json);
    assertEquals(3, first.get("records").size(), text);
    assertEquals(5, first.get("total").asLong(), "the first page counts the live records");
    com.fasterxml.jackson.databind.JsonNode data = first.get("records").get(0).get("data");
    assertEquals("a \" b \\ c , d : é", data.get("title").asText());
    assertEquals(2.5, data.get("n").get(1).asDouble());
    assertTrue(data.get("n").get(2).has("x"));
    // Compact, as the protocol's JSON: no whitespace outside strings.
    assertFalse(text.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").matches("(?s).*\\s.*"), text);

    // Over HTTP/2 (the JDK client upgrades cleartext connections, h2c) also one gzip layer.
    java.net.http.HttpResponse<byte[]> h2 =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://localhost:"
                                + io.restassured.RestAssured.port
                                + "/v1/sync/snapshot?limit=3"))
                    .header("Authorization", "Bearer " + TestSupport.token(tenant))
                    .header("Accept-Encoding", "gzip")
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, h2.statusCode());
    byte[] body = h2.body();
    if (h2.headers().firstValue("Content-Encoding").orElse("").equals("gzip")) {
      body = gunzip(body);
    }
    assertEquals(
        first.get("records"),
        io.syncforge.protocol.Json.newMapper().readTree(body).get("records"),
        "HTTP/" + h2.version());

    // Not asked: plain JSON, later pages without a total.
    Response plain =
        as(tenant)
            .config(rawBodies())
            .header("Accept-Encoding", "identity")
            .queryParam("limit", 3)
            .queryParam("pageToken", first.get("nextPageToken").asText())
            .get(SNAPSHOT);
    plain.then().statusCode(200);
    assertNull(plain.getHeader("Content-Encoding"));
    com.fasterxml.jackson.databind.JsonNode second =
        io.syncforge.protocol.Json.newMapper().readTree(plain.asByteArray());
    assertEquals(
        List.of("t-3", "t-4"),
        List.of(
            second.at("/records/0/recordId").asText(), second.at("/records/1/recordId").asText()));
    assertFalse(second.has("total"));
    assertFalse(second.has("nextPageToken"));
  }

  /** A snapshot page answered 200 to {@code request}. */
  private static JsonPath page(RequestSpecification request) {
    return request.get(SNAPSHOT).then().statusCode(200).extract().jsonPath();
  }

  /** A snapshot of {@code tenant} with one query parameter. */
  private static Response snapshotAt(String tenant, String param, Object value) {
    return as(tenant).queryParam(param, value).get(SNAPSHOT);
  }

  /** Record id to version of every entry of a page's {@code records} or {@code changes}. */
  private static Map<String, Integer> versions(JsonPath page, String list) {
    Map<String, Integer> versions = new HashMap<>();
    page.<Map<String, Object>>getList(list)
        .forEach(r -> versions.put((String) r.get("recordId"), (Integer) r.get("version")));
    return versions;
  }

  @Test
  void acceptEncodingIsRead() {
    assertTrue(SnapshotResource.acceptsGzip("gzip, deflate, br"));
    assertTrue(SnapshotResource.acceptsGzip("deflate;q=1, GZIP;q=0.5"));
    assertFalse(SnapshotResource.acceptsGzip("gzip;q=0"));
    assertFalse(SnapshotResource.acceptsGzip("identity"));
    assertFalse(SnapshotResource.acceptsGzip(null));
  }
}
