package io.syncforge.media.store;

import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.tempFiles;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static io.syncforge.media.MediaTestSupport.withToken;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.arc.ClientProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.syncforge.devinfra.quarkus.S3ProxyTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code sync.media.store=s3} end to end: the service boots with the S3 store (creating its bucket
 * on a real S3Proxy), and uploads and downloads over HTTP go to the bucket, not to the filesystem.
 */
@QuarkusTest
@TestProfile(S3StoreSelectedByConfigTest.S3Store.class)
@WithDevInfra
class S3StoreSelectedByConfigTest {

  /** The S3 store in a bucket that does not exist before the start. */
  public static class S3Store implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "sync.media.store",
          "s3",
          "sync.media.s3.bucket",
          "media-selected-by-config",
          // S3Proxy answers x-amz-checksum-sha256 with 501 (S3BlobStoreTest shows it).
          "sync.media.s3.checksum",
          "md5");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(
          new TestResourceEntry(S3ProxyTestResource.class, Map.of("prefix", "sync.media.s3")));
    }
  }

  @Inject BlobStore store;

  @Test
  void theConfiguredStoreIsS3AndCreatedItsBucket() {
    S3BlobStore s3 = assertInstanceOf(S3BlobStore.class, ClientProxy.unwrap(store));
    assertEquals("media-selected-by-config", s3.bucket());
    assertTrue(
        Files.isDirectory(
            S3ProxyTestResource.current().dataDir().resolve("blobs/media-selected-by-config")),
        "bucket created on the server");
  }

  @Test
  void uploadsAndDownloadsGoThroughTheBucket() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(20_000);
    String sha = sha256(bytes);
    long tempBefore = tempFiles();

    upload(token, bytes).then().statusCode(201);
    assertTrue(store.exists(sha));
    assertEquals(bytes.length, store.size(sha));
    assertFalse(Files.exists(blobPath(sha)), "nothing in the filesystem store");
    assertEquals(tempBefore, tempFiles(), "the temp file was consumed");

    byte[] full = download(token, sha);
    assertArrayEquals(bytes, full);
    byte[] part =
        withToken(token)
            .header("Range", "bytes=1000-1999")
            .get("/v1/media/" + sha)
            .then()
            .statusCode(206)
            .extract()
            .asByteArray();
    assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 2000), part);
  }
}
