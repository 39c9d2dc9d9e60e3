package io.syncforge.media.store;

import static io.syncforge.media.MediaTestSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.S3ProxyLauncher;
import io.syncforge.devinfra.S3ProxyLauncher.RunningS3Proxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The shared {@link BlobStoreContract} against {@link S3BlobStore} talking to a real S3-compatible
 * server (S3Proxy, own JVM, started once for this class), plus S3 specifics.
 */
class S3BlobStoreTest extends BlobStoreContract {

  private static final String BUCKET = "syncforge-media-test";
  private static RunningS3Proxy s3;
  private static S3BlobStore store;

  @BeforeAll
  static void startServer() throws IOException {
    // Temp files left by an earlier (failed) run would upset the stale-file count.
    deleteRecursively(tempDir());
    s3 = S3ProxyLauncher.builder().dataDir(Path.of("target", "test-s3proxy")).start();
    // Content-MD5: S3Proxy answers x-amz-checksum-sha256 with 501 (see below).
    store =
        new S3BlobStore(client(s3.secretAccessKey()), BUCKET, tempDir(), S3BlobStore.Checksum.MD5);
    store.createBucketIfMissing();
    store.createBucketIfMissing(); // exists now: no error
  }

  @AfterAll
  static void stopServer() {
    if (store != null) {
      store.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static S3Client client(String secret) {
    return S3BlobStore.client(
        Optional.of(s3.endpoint()),
        "us-east-1",
        Optional.of(s3.accessKeyId()),
        Optional.of(secret));
  }

  private static Path tempDir() {
    return Path.of("target", "test-s3-blobstore", "tmp");
  }

  @Override
  protected BlobStore store() {
    return store;
  }

  @Test
  void objectsLiveAtAbCdShaInTheBucket() throws IOException {
    byte[] content = random(100);
    String sha = put(content);
    String key = sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha;
    assertEquals(key, S3BlobStore.keyOf(sha));
    try (S3Client client = client(s3.secretAccessKey())) {
      assertEquals(
          (long) content.length, client.headObject(b -> b.bucket(BUCKET).key(key)).contentLength());
    }
  }

  @Test
  void wrongCredentialsAreAnIoErrorNotAMissingBlob() throws IOException {
    String sha = put(random(10));
    try (S3BlobStore wrong = new S3BlobStore(client("not-the-secret"), BUCKET, tempDir())) {
      IOException e = assertThrows(IOException.class, () -> wrong.exists(sha));
      assertTrue(!(e instanceof java.nio.file.NoSuchFileException), e.toString());
    }
  }

  /**
   * Content-MD5 is sent and checked: S3Proxy takes the put and the object's ETag (the MD5 of a
   * single-part upload) is the MD5 of the bytes, i.e. the header the server verified matched them.
   */
  @Test
  void putSendsContentMd5ThatTheServerVerifies() throws Exception {
    byte[] content = random(5000);
    String sha = put(content);
    String md5 =
        java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("MD5").digest(content));
    try (S3Client client = client(s3.secretAccessKey())) {
      assertEquals(
          "\"" + md5 + "\"",
          client.headObject(b -> b.bucket(BUCKET).key(S3BlobStore.keyOf(sha))).eTag());
    }
  }

  /**
   * {@code checksum=sha256} against S3Proxy 2.6.0: the server answers {@code 501 Not Implemented};
   * the put fails loudly (an upload answers 500, nothing is registered) instead of storing
   * unchecked bytes. This is why the S3Proxy setups use {@code md5}; AWS S3 takes sha256.
   */
  @Test
  void sha256ChecksumIsRefusedByS3ProxyAndFailsThePut() throws IOException {
    byte[] content = random(700);
    String sha = sha256(content);
    try (S3BlobStore withSha = storeWith(S3BlobStore.Checksum.SHA256)) {
      Path temp = tempFileWith(withSha, content);
      IOException e = assertThrows(IOException.class, () -> withSha.put(sha, temp));
      assertTrue(e.getMessage().contains("501"), e.toString());
      assertTrue(!withSha.exists(sha));
      Files.deleteIfExists(temp);
    }
  }

  /** With {@code checksum=none} nothing beyond the SDK's own headers is sent; the put works. */
  @Test
  void checksumNoneStillStores() throws IOException {
    byte[] content = random(700);
    String sha = sha256(content);
    try (S3BlobStore plain = storeWith(S3BlobStore.Checksum.NONE)) {
      plain.put(sha, tempFileWith(plain, content));
      assertTrue(plain.exists(sha));
      assertEquals(content.length, plain.size(sha));
    }
  }

  private static S3BlobStore storeWith(S3BlobStore.Checksum checksum) {
    return new S3BlobStore(client(s3.secretAccessKey()), BUCKET, tempDir(), checksum);
  }

  private static Path tempFileWith(S3BlobStore target, byte[] content) throws IOException {
    Path temp = target.createTempFile();
    Files.write(temp, content);
    return temp;
  }
}
