package io.syncforge.media.tus;

import static io.syncforge.media.MediaTestSupport.assertRefused;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.fetch;
import static io.syncforge.media.MediaTestSupport.fetchMeta;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.queryLong;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.withToken;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.media.MediaTestSupport;
import io.syncforge.protocol.Headers;
import jakarta.inject.Inject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Issue 14, item 3: tus 1.0 resumable uploads against the real service. */
@QuarkusTest
@WithDevInfra
class TusResourceTest {

  @Inject TusService tus;

  @Test
  void optionsAdvertisesTheProtocol() {
    withToken(token(newTenant(), "alice"))
        .options("/v1/media/uploads")
        .then()
        .statusCode(204)
        .header("Tus-Version", "1.0.0")
        .header("Tus-Extension", "creation,termination");
  }

  /** The link dies mid-PATCH; HEAD tells what arrived; the rest is sent from there. */
  @Test
  void interruptedUploadIsResumedFromTheServersOffset() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(3_000_000);
    String sha = sha256(bytes);
    String location = create(token, bytes.length, sha, "video/mp4", "clip.mp4");

    // Send 1.2 MB of a PATCH that announces all of it, then drop the connection.
    patchAndDie(token, location, 0, bytes, 1_200_000);
    long offset = awaitOffset(token, location, 1_200_000);
    assertEquals(1_200_000, offset);
    // Resuming at a wrong offset is refused; nothing changes.
    assertRefused(
        patch(token, location, 5, Arrays.copyOfRange(bytes, 5, 10)), 409, "upload_offset_mismatch");

    patch(token, location, offset, Arrays.copyOfRange(bytes, (int) offset, bytes.length))
        .then()
        .statusCode(204)
        .header("Upload-Offset", String.valueOf(bytes.length))
        .header("Tus-Resumable", "1.0.0")
        .header("Location", "/v1/media/" + sha);

    assertArrayEquals(bytes, download(token, sha));
    fetchMeta(token, sha)
        .then()
        .body("contentType", equalTo("video/mp4"))
        .body("fileName", equalTo("clip.mp4"));
    tusHead(token, location).then().statusCode(404);
    assertEquals(0, queryLong("SELECT count(*) FROM media.upload WHERE sha256 = ?", sha));
  }

  @Test
  void wrongBytesAre422OnCompletionAndTheUploadIsGone() {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(5000);
    String declared = sha256(content(5000));
    String location = create(token, bytes.length, declared, "image/png", null);
    assertRefused(patch(token, location, 0, bytes), 422, "hash_mismatch");
    tusHead(token, location).then().statusCode(404);
    fetch(token, declared).then().statusCode(404);
  }

  @Test
  void anUploadIsOnlyVisibleToItsCreatorAndTerminationRemovesIt() throws Exception {
    String tenant = newTenant();
    String alice = token(tenant, "alice");
    byte[] bytes = content(1000);
    String location = create(alice, bytes.length, sha256(bytes), "image/png", null);
    tusHead(token(tenant, "bob"), location).then().statusCode(404);
    tusHead(token(newTenant(), "alice"), location).then().statusCode(404);
    patch(alice, location, 0, Arrays.copyOf(bytes, 10)).then().statusCode(204);
    tusRequest(alice).delete(location).then().statusCode(204);
    tusHead(alice, location).then().statusCode(404);
  }

  @Test
  void badCreationsAreRefused() {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(100);
    // No Tus-Resumable: 412.
    withToken(token)
        .header("Upload-Length", "100")
        .header(Headers.CONTENT_SHA256, sha256(bytes))
        .post("/v1/media/uploads")
        .then()
        .statusCode(412)
        .header("Tus-Version", "1.0.0");
    createRequest(token, "5000000", sha256(bytes), "image/png").then().statusCode(413);
    createRequest(token, "0", sha256(bytes), "image/png").then().statusCode(400);
    createRequest(token, "-1", sha256(bytes), "image/png").then().statusCode(400);
    createRequest(token, "100", "NOTAHASH", "image/png").then().statusCode(400);
    createRequest(token, "100", sha256(bytes), "text/html").then().statusCode(415);
    tusRequest(token)
        .header("Upload-Length", "100")
        .header("Upload-Metadata", "sha256 !!!notbase64")
        .post("/v1/media/uploads")
        .then()
        .statusCode(400);
  }

  /** A PATCH longer than Upload-Length is refused and changes nothing. */
  @Test
  void bodyPastUploadLengthIs413AndKeepsTheOffset() {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(1000);
    String location = create(token, bytes.length, sha256(bytes), "image/png", null);
    patch(token, location, 0, Arrays.copyOf(bytes, 400)).then().statusCode(204);
    patch(token, location, 400, content(700)).then().statusCode(413);
    tusHead(token, location).then().statusCode(200).header("Upload-Offset", "400");
  }

  @Test
  void expiredUploadsAreRemoved() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(100);
    String location = create(token, bytes.length, sha256(bytes), "image/png", null);
    tus.expire(Instant.now().plus(Duration.ofDays(2)));
    tusHead(token, location).then().statusCode(404);
    Path dir = MediaTestSupport.ROOT.resolve("uploads");
    String id = location.substring(location.lastIndexOf('/') + 1);
    assertTrue(!Files.exists(dir.resolve(id)));
  }

  private static String create(
      String token, long length, String sha, String type, String fileName) {
    String metadata =
        "filetype " + b64(type) + (fileName == null ? "" : ",filename " + b64(fileName));
    return tusRequest(token)
        .header("Upload-Length", String.valueOf(length))
        .header("Upload-Metadata", metadata + ",sha256 " + b64(sha))
        .post("/v1/media/uploads")
        .then()
        .statusCode(201)
        .header("Upload-Offset", "0")
        .extract()
        .header("Location");
  }

  private static Response createRequest(String token, String length, String sha, String type) {
    return tusRequest(token)
        .header("Upload-Length", length)
        .header(Headers.CONTENT_SHA256, sha)
        .header("Upload-Metadata", "filetype " + b64(type))
        .post("/v1/media/uploads");
  }

  private static Response patch(String token, String location, long offset, byte[] body) {
    return tusRequest(token)
        .header("Upload-Offset", String.valueOf(offset))
        .contentType(TusResource.OFFSET_OCTET_STREAM)
        .body(body)
        .patch(path(location));
  }

  private static Response tusHead(String token, String location) {
    return tusRequest(token).head(path(location));
  }

  /** A request of {@code token} that speaks tus 1.0. */
  private static RequestSpecification tusRequest(String token) {
    return withToken(token).header("Tus-Resumable", "1.0.0");
  }

  private static String path(String location) {
    int i = location.indexOf("/v1/");
    return location.substring(i);
  }

  /** Writes the head of a PATCH for the whole rest, {@code send} bytes of it, then closes. */
  private static void patchAndDie(
      String token, String location, long offset, byte[] bytes, int send) throws Exception {
    try (Socket socket = new Socket("localhost", RestAssured.port)) {
      OutputStream out = socket.getOutputStream();
      String head =
          "PATCH "
              + path(location)
              + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + token
              + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: "
              + offset
              + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
              + (bytes.length - offset)
              + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes, (int) offset, send);
      out.flush();
      Thread.sleep(300);
    }
  }

  /** The server notices the dead connection asynchronously. */
  private static long awaitOffset(String token, String location, long expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    long offset = -1;
    while (System.nanoTime() < deadline) {
      Response r = tusHead(token, location);
      r.then().statusCode(200).header("Cache-Control", "no-store");
      offset = Long.parseLong(r.header("Upload-Offset"));
      // Another PATCH is refused while the broken one still runs; wait until it ended.
      Response probe = patch(token, location, offset, new byte[0]);
      if (offset == expected && probe.statusCode() == 204) {
        return offset;
      }
      Thread.sleep(100);
    }
    return offset;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
