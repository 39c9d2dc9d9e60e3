package io.syncforge.media.upload;

import static io.restassured.RestAssured.given;
import static io.syncforge.media.MediaTestSupport.assertRefused;
import static io.syncforge.media.MediaTestSupport.atOnce;
import static io.syncforge.media.MediaTestSupport.awaitNoTempFiles;
import static io.syncforge.media.MediaTestSupport.awaitNoTempFilesBut;
import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.metadataRows;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.rawPost;
import static io.syncforge.media.MediaTestSupport.rawUploadHead;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.tempNames;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static io.syncforge.media.MediaTestSupport.uploadAs;
import static io.syncforge.media.MediaTestSupport.uploadNamed;
import static io.syncforge.media.MediaTestSupport.withToken;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Headers;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
@WithDevInfra
class UploadResourceTest {

  /** {@code %test.sync.media.max-size}. */
  private static final long MAX = 4 * 1024 * 1024;

  @Test
  void uploadStoresContentOnceAndAnswers201ThenExisting200() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(10_000);
    String sha = sha256(bytes);

    uploadNamed(token, "image/png", "holiday.png", bytes)
        .then()
        .statusCode(201)
        .header("Location", endsWith("/v1/media/" + sha))
        .body("sha256", equalTo(sha))
        .body("size", equalTo(10_000))
        .body("contentType", equalTo("image/png"))
        .body("fileName", equalTo("holiday.png"))
        .body("url", equalTo("/v1/media/" + sha))
        .body("uploadedBy", equalTo("alice"))
        .body("uploadedAt", notNullValue());
    assertArrayEquals(bytes, Files.readAllBytes(blobPath(sha)));

    upload(token, bytes).then().statusCode(200).body("fileName", equalTo("holiday.png"));
    assertEquals(1, metadataRows(sha));
  }

  /**
   * Bodies of several write buffers (256 KiB each): the stored file is byte for byte the body, just
   * past a buffer edge, at one, at an odd size and at the size limit, also when two run at once.
   */
  @ParameterizedTest
  @ValueSource(
      ints = {1024 * 1024 + 1, 1024 * 1024 + 256 * 1024, 3 * 1024 * 1024 + 12_345, 4 << 20})
  void largeBodiesAreStoredExactly(int size) throws Exception {
    String token = token(newTenant(), "alice");
    List<byte[]> bodies = List.of(content(size), content(size)); // two of 4 MiB fit the quota
    List<Callable<Integer>> uploads =
        bodies.stream().<Callable<Integer>>map(b -> () -> upload(token, b).statusCode()).toList();
    for (int status : atOnce(uploads)) {
      assertEquals(201, status);
    }
    for (byte[] b : bodies) {
      assertArrayEquals(b, Files.readAllBytes(blobPath(sha256(b))));
    }
  }

  @Test
  void hashMismatchIs422AndKeepsNothing() throws Exception {
    byte[] bytes = content(5_000);
    String declared = sha256(content(10));
    assertRefused(
            uploadAs(token(newTenant(), "alice"), "image/png", declared, bytes),
            422,
            "hash_mismatch")
        .contentType("application/problem+json");
    assertFalse(Files.exists(blobPath(declared)));
    assertFalse(Files.exists(blobPath(sha256(bytes))));
    assertEquals(0, metadataRows(declared));
    awaitNoTempFiles();
  }

  @Test
  void missingHashHeaderIs400() {
    assertRefused(
        withToken(token(newTenant(), "alice"))
            .contentType("image/png")
            .body(content(10))
            .post("/v1/media"),
        400,
        "invalid_request");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // non-hex
        "zz3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        // upper case
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        // too short, too long
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85500",
        // traversal
        "../../../../etc/passwd"
      })
  void malformedHashHeaderIs400(String hash) {
    assertRefused(
        uploadAs(token(newTenant(), "alice"), "image/png", hash, content(10)),
        400,
        "invalid_request");
  }

  @Test
  void emptyBodyIs400() {
    assertRefused(
        uploadAs(token(newTenant(), "alice"), "image/png", sha256(new byte[0]), new byte[0]),
        400,
        "invalid_request");
  }

  @Test
  void disallowedContentTypeIs415() {
    byte[] bytes = content(10);
    assertRefused(
        uploadAs(token(newTenant(), "alice"), "application/x-msdownload", sha256(bytes), bytes),
        415,
        "unsupported_media_type");
  }

  @Test
  void withoutTokenIs401AndExpiredTokenIs401() {
    byte[] bytes = content(10);
    given()
        .contentType("image/png")
        .header(Headers.CONTENT_SHA256, sha256(bytes))
        .body(bytes)
        .post("/v1/media")
        .then()
        .statusCode(401);
    String expired =
        JwtTestResource.jwt().token(newTenant(), "alice", List.of(), Duration.ofMinutes(-5));
    uploadAs(expired, "image/png", sha256(bytes), bytes).then().statusCode(401);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "../../etc/passwd|passwd",
        "..\\..\\windows\\win.ini|win.ini",
        "%2E%2E%2F%2E%2E%2Fsecret.txt|secret.txt",
        "r%C3%A9sum%C3%A9.pdf|résumé.pdf",
        "  report\t2026.pdf  |report2026.pdf",
      })
  void fileNameIsSanitised(String header, String stored) {
    uploadNamed(token(newTenant(), "alice"), "image/png", header, content(100))
        .then()
        .statusCode(201)
        .body("fileName", equalTo(stored));
  }

  @Test
  void fileNameOfOnlyDotsIsDropped() {
    uploadNamed(token(newTenant(), "alice"), "image/png", "../..", content(100))
        .then()
        .statusCode(201)
        .body("fileName", nullValue());
  }

  /** Just over the limit: this service's 413; far over it: the HTTP layer's own 413. */
  @ParameterizedTest
  @ValueSource(longs = {MAX + 1, 64 * MAX})
  void declaredLengthOverLimitIs413BeforeTheBodyIsRead(long declared) throws Exception {
    String head =
        rawUploadHead(
            token(newTenant(), "alice"),
            sha256(new byte[1]),
            "Content-Length: " + declared + "\r\n");
    // Only the head is sent: the answer must not wait for the body.
    String status = rawPost(head, 0, false, true);
    assertTrue(status.startsWith("HTTP/1.1 413"), status);
  }

  @Test
  void streamedBodyOverLimitIs413AndKeepsNothing() throws Exception {
    String sha = sha256(new byte[1]);
    String head = rawUploadHead(token(newTenant(), "alice"), sha, "Transfer-Encoding: chunked\r\n");
    String status = rawPost(head, MAX + 512 * 1024, true, true);
    assertTrue(status.startsWith("HTTP/1.1 413"), status);
    awaitNoTempFiles();
    assertEquals(0, metadataRows(sha));
  }

  @Test
  void truncatedUploadLeavesNoFileAndNoRow() throws Exception {
    byte[] bytes = content(1_000_000);
    String sha = sha256(bytes);
    String head = rawUploadHead(token(newTenant(), "alice"), sha, "Content-Length: 1000000\r\n");
    rawPost(head, 300_000, false, false); // the client dies after 300 kB
    awaitNoTempFiles();
    assertFalse(Files.exists(blobPath(sha)));
    assertEquals(0, metadataRows(sha));
  }

  @Test
  void concurrentUploadsOfTheSameContentBothSucceedWithOneFile() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(2_000_000);
    String sha = sha256(bytes);
    java.util.Set<String> before = tempNames();
    Callable<Integer> call = () -> upload(token, bytes).statusCode();
    int created = 0;
    for (int status : atOnce(List.of(call, call, call, call))) {
      assertTrue(status == 201 || status == 200, "status " + status);
      created += status == 201 ? 1 : 0;
    }
    assertEquals(1, created);
    assertEquals(1, metadataRows(sha));
    assertArrayEquals(bytes, Files.readAllBytes(blobPath(sha)));
    // Only this test's temp files: in two full verifies (2026-12-03) one file was left in the
    // shared directory for over 30 s (by an earlier class: not reproduced with this class and
    // UploadBoundsTest alone; the listing in the message names it next time).
    awaitNoTempFilesBut(before);
  }

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }
}
