package io.syncforge.media.download;

import static io.syncforge.media.MediaTestSupport.assertRefused;
import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.delete;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.fetch;
import static io.syncforge.media.MediaTestSupport.fetchMeta;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static io.syncforge.media.MediaTestSupport.uploadAs;
import static io.syncforge.media.MediaTestSupport.withToken;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
@WithDevInfra
class DownloadResourceTest {

  private static final String TENANT = newTenant();
  private static final byte[] BYTES = content(1000);
  private static final String SHA = sha256(BYTES);
  private static final String ETAG = "\"" + SHA + "\"";

  /** A request of the content's owner. */
  private static RequestSpecification asOwner() {
    return withToken(owner());
  }

  private static String owner() {
    String token = token(TENANT, "alice");
    // Idempotent (201, then 200), so every test can rely on it.
    upload(token, BYTES).then().statusCode(anyOf(equalTo(201), equalTo(200)));
    return token;
  }

  @Test
  void getStreamsTheWholeContentWithCachingHeaders() {
    Response r = asOwner().get("/v1/media/" + SHA);
    r.then()
        .statusCode(200)
        .contentType("image/png")
        .header("ETag", ETAG)
        .header("Accept-Ranges", "bytes")
        .header("Cache-Control", "private, max-age=31536000, immutable")
        .header("Content-Length", "1000")
        .header("X-Content-Type-Options", "nosniff")
        .header("Content-Security-Policy", "default-src 'none'; sandbox");
    assertArrayEquals(BYTES, r.asByteArray());
  }

  @Test
  void headAnswersHeadersWithoutBody() {
    Response r = asOwner().head("/v1/media/" + SHA);
    r.then()
        .statusCode(200)
        .header("ETag", ETAG)
        .header("Accept-Ranges", "bytes")
        .header("Content-Length", "1000");
    assertEquals(0, r.asByteArray().length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"%s\"", "W/\"%s\"", "\"other\", \"%s\"", "*"})
  void ifNoneMatchWithTheHashIs304(String header) {
    asOwner()
        .header("If-None-Match", header.replace("%s", SHA))
        .get("/v1/media/" + SHA)
        .then()
        .statusCode(304)
        .header("ETag", ETAG);
  }

  @Test
  void ifNoneMatchWithAnotherTagIs200() {
    asOwner()
        .header("If-None-Match", "\"" + sha256(new byte[3]) + "\"")
        .get("/v1/media/" + SHA)
        .then()
        .statusCode(200);
  }

  @ParameterizedTest
  @CsvSource({
    "bytes=0-99, 0, 99", // first bytes
    "bytes=100-199, 100, 199", // middle
    "bytes=-100, 900, 999", // suffix
    "bytes=-5000, 0, 999", // suffix longer than the content
    "bytes=900-, 900, 999", // open end
    "bytes=990-5000, 990, 999", // end beyond the content is cut
  })
  void singleRangeIs206WithContentRange(String range, int first, int last) {
    Response r = asOwner().header("Range", range).get("/v1/media/" + SHA);
    r.then()
        .statusCode(206)
        .header("Content-Range", "bytes " + first + "-" + last + "/1000")
        .header("Content-Length", String.valueOf(last - first + 1))
        .header("ETag", ETAG);
    assertArrayEquals(Arrays.copyOfRange(BYTES, first, last + 1), r.asByteArray());
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=1000-1100", "bytes=5000-", "bytes=-0"})
  void rangeBeyondTheEndIs416(String range) {
    assertRefused(
            asOwner().header("Range", range).get("/v1/media/" + SHA), 416, "range_not_satisfiable")
        .header("Content-Range", "bytes */1000")
        .contentType("application/problem+json");
  }

  @Test
  void ifRangeWithAnotherTagSendsTheWholeContent() {
    asOwner()
        .header("Range", "bytes=0-9")
        .header("If-Range", "\"something-else\"")
        .get("/v1/media/" + SHA)
        .then()
        .statusCode(200)
        .header("Content-Length", "1000");
  }

  @Test
  void metaReturnsTheMetadata() {
    asOwner()
        .get("/v1/media/" + SHA + "/meta")
        .then()
        .statusCode(200)
        .contentType("application/json")
        .body("sha256", equalTo(SHA))
        .body("size", equalTo(1000))
        .body("contentType", equalTo("image/png"))
        .body("url", equalTo("/v1/media/" + SHA))
        .body("uploadedBy", equalTo("alice"))
        .body("fileName", nullValue());
  }

  @Test
  void anotherTenantGets404EverywhereEvenKnowingTheHash() {
    owner();
    String other = token(newTenant(), "mallory");
    for (Response r : new Response[] {fetch(other, SHA), fetchMeta(other, SHA)}) {
      assertRefused(r, 404, "not_found").contentType("application/problem+json");
    }
    withToken(other).head("/v1/media/" + SHA).then().statusCode(404);
    delete(other, SHA).then().statusCode(404);
    // Claiming the hash with other bytes does not grant access either.
    uploadAs(other, "image/png", SHA, content(1000)).then().statusCode(422);
    fetch(other, SHA).then().statusCode(404);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..%252F..%252Fetc%252Fpasswd",
        "%2E%2E",
        "abc",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      })
  void malformedOrTraversingIdsAreRefused(String id) {
    int status =
        asOwner().urlEncodingEnabled(false).get("/v1/media/" + id).then().extract().statusCode();
    // 400 from our id check, or 404 when the router already refuses the path; never content.
    assertTrue(status == 400 || status == 404, "status " + status);
  }

  @Test
  void nonHexIdIs400() {
    assertRefused(asOwner().get("/v1/media/not-a-hash/meta"), 400, "invalid_request");
  }

  @Test
  void missingBytesAre503AndAnUploadOfTheContentHealsIt() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(300);
    String sha = sha256(bytes);
    upload(token, bytes).then().statusCode(201);
    Files.delete(blobPath(sha));

    assertRefused(fetch(token, sha), 503, "unavailable");

    upload(token, bytes).then().statusCode(200);
    assertArrayEquals(bytes, download(token, sha));
  }
}
