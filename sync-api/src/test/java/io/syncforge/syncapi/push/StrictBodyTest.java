package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.assertNotProduced;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.postPush;
import static io.syncforge.syncapi.TestSupport.problem;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Issue 13 item 1: the door refuses what a later reader would choke on, all of it at once. */
@QuarkusTest
@WithDevInfra
class StrictBodyTest {

  @TestHTTPResource("/v1/sync/push")
  URL pushUrl;

  private static String upsert(UUID id, String data) {
    return mutation(id, "tasks", "t-" + id.toString().substring(0, 6), "upsert", data);
  }

  /** A 400 invalid_request problem for {@code body}; more can be chained. */
  private static ValidatableResponse invalid(String tenant, String body) {
    return problem(postPush(tenant, body), 400, "invalid_request");
  }

  /** The refused request produced nothing, and the system still works for a fresh tenant. */
  private static void nothingProducedAndStillWorking(UUID... refused) throws Exception {
    String fresh = TestSupport.tenant("fresh");
    pushUntilFinal(fresh, push("dev-f", upsert(UUID.randomUUID(), "{\"ok\":true}")))
        .then()
        .body("outcomes[0].status", equalTo("applied"));
    assertNotProduced("a mutation of a refused request was produced", refused);
  }

  @Test
  void nulInAValueOrKeyIsRefusedAndNothingIsEnqueued() throws Exception {
    String tenant = TestSupport.tenant("nul");
    UUID ok = UUID.randomUUID();
    UUID bad = UUID.randomUUID();
    invalid(
            tenant,
            push(
                "dev-1",
                upsert(ok, "{\"a\":1}"),
                upsert(bad, "{\"title\":\"mi\\u0000lk\",\"k\\u0000\":1}")))
        .body(
            "errors.path",
            containsInAnyOrder("mutations[1].data.title", "mutations[1].data[\"k\\u0000\"]"));
    nothingProducedAndStillWorking(ok, bad);
  }

  @Test
  void everyViolationIsListedInOneAnswer() throws Exception {
    String tenant = TestSupport.tenant("many");
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    String deep = "[".repeat(70) + "]".repeat(70);
    String body =
        "{\"clientId\":\"dev-1\",\"mutations\":["
            + upsert(a, "{\"n\":1e400,\"big\":123456789012345678901234567890,\"d\":1,\"d\":2}")
            + ","
            + upsert(b, "{\"deep\":" + deep + "}")
            + "]}";
    invalid(tenant, body)
        .body("errors", hasSize(4))
        .body("errors.path", hasItem("mutations[0].data.n"))
        .body("errors.path", hasItem("mutations[0].data.big"))
        .body("errors.path", hasItem("mutations[0].data.d"))
        .body(
            "errors[3].path",
            equalTo("mutations[1].data.deep" + "[0]".repeat(StrictJsonDepth.INSIDE_DATA)));
    nothingProducedAndStillWorking(a, b);
  }

  @Test
  void trailingContentIsRefused() throws Exception {
    String tenant = TestSupport.tenant("trail");
    UUID a = UUID.randomUUID();
    for (String tail : List.of(" }garbage", "{}", "\u0000", " [")) {
      invalid(tenant, push("dev-1", upsert(a, "{\"a\":1}")) + tail);
    }
    nothingProducedAndStillWorking(a);
  }

  @Test
  void duplicateMutationIdsInOnePushAreRefused() throws Exception {
    String tenant = TestSupport.tenant("dupid");
    UUID a = UUID.randomUUID();
    invalid(
            tenant,
            push(
                "dev-1",
                upsert(a, "{\"a\":1}"),
                upsert(UUID.randomUUID(), "{}"),
                upsert(a, "{\"a\":2}")))
        .body("errors", hasSize(1))
        .body("errors[0].path", equalTo("mutations[2].mutationId"))
        .body("errors[0].message", equalTo("duplicate mutationId (also at mutations[0])"));
    nothingProducedAndStillWorking(a);
  }

  @Test
  void wrongTypesAreAnsweredWithoutJavaClassNames() {
    String tenant = TestSupport.tenant("types");
    for (String body :
        List.of(
            "{\"clientId\":\"dev-1\",\"mutations\":\"x\"}",
            "{\"clientId\":[1],\"mutations\":[]}",
            "{\"clientId\":\"dev-1\",\"mutations\":[{\"mutationId\":\"x\",\"op\":\"upsert\"}]}",
            "{\"clientId\":\"dev-1\",\"mutations\":[{\"mutationId\":\""
                + UUID.randomUUID()
                + "\",\"collection\":\"tasks\",\"recordId\":\"r\",\"op\":\"upsert\",\"data\":[1]}]}",
            "{\"clientId\":\"dev-1\",\"mutations\":[{\"mutationId\":\""
                + UUID.randomUUID()
                + "\",\"collection\":\"tasks\",\"recordId\":\"r\",\"op\":\"upsert\",\"data\":{},"
                + "\"baseVersion\":\"two\",\"clientTime\":\"yesterday\"}]}",
            "[]",
            "\"push\"",
            "null")) {
      Response r = postPush(tenant, body);
      problem(r, 400, "invalid_request");
      String text = r.asString();
      for (String leak : List.of("java.", "io.syncforge", "`", "Exception", "Cannot deserialize")) {
        assertFalse(text.contains(leak), body + " -> " + text);
      }
    }
  }

  @Test
  void aBodyOverTheHttpLimitGetsA413ProblemNotACutConnection() throws Exception {
    String tenant = TestSupport.tenant("huge");
    // 5 MiB: over the 2 MiB push limit and over the 4 MiB HTTP cap.
    String filler = "x".repeat(5 * 1024 * 1024);
    String body = push("dev-1", upsert(UUID.randomUUID(), "{\"blob\":\"" + filler + "\"}"));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(pushUrl.toURI())
                .header("Authorization", "Bearer " + TestSupport.token(tenant))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, r.statusCode(), r.body());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    assertTrue(r.body().contains("\"code\":\"payload_too_large\""), r.body());
    // The same with a client that writes the whole body before it reads (RestAssured/Apache).
    problem(postPush(tenant, body), 413, "payload_too_large");
  }

  /**
   * Without a Content-Length the answer is the HTTP layer's bare 413 (documented): the body is
   * counted by Quarkus up to {@code quarkus.http.limits.max-body-size}; still an answer, not a cut.
   */
  @Test
  void aChunkedBodyOverTheHttpCapGetsA413() throws Exception {
    String tenant = TestSupport.tenant("chunked");
    URI uri = pushUrl.toURI();
    try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/sync/push HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + TestSupport.token(tenant)
                  + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = ("x".repeat(64 * 1024)).getBytes(StandardCharsets.US_ASCII);
      String answer = null;
      try {
        for (int i = 0; i < 80; i++) { // 5 MiB
          out.write(
              (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (java.io.IOException e) {
        // the server may answer and close before the last chunk: read what it said
      }
      InputStream in = s.getInputStream();
      answer = new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
    }
  }

  /** Where the depth limit falls inside a mutation's data: the body, mutations, mutation, data. */
  static final class StrictJsonDepth {
    static final int INSIDE_DATA = io.syncforge.protocol.json.StrictJson.MAX_DEPTH - 4;
  }
}
