package io.syncforge.media.store;

import static io.syncforge.media.MediaTestSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlobStore} must do, run against each implementation by a subclass that hands
 * over a store (shared by the tests of a class: every test writes its own random content, so hashes
 * never collide).
 */
abstract class BlobStoreContract {

  private static final Random RANDOM = new Random();

  /** The store under test. */
  protected abstract BlobStore store();

  @Test
  void putThenExistsSizeAndFullRead() throws IOException {
    byte[] content = random(10_000);
    String sha = put(content);
    assertTrue(store().exists(sha));
    assertEquals(content.length, store().size(sha));
    assertArrayEquals(content, read(sha, 0, content.length));
  }

  @Test
  void rangedReadsReturnExactlyTheRange() throws IOException {
    byte[] content = random(4096);
    String sha = put(content);
    assertArrayEquals(Arrays.copyOfRange(content, 0, 100), read(sha, 0, 100), "first bytes");
    assertArrayEquals(Arrays.copyOfRange(content, 1000, 1500), read(sha, 1000, 500), "middle");
    assertArrayEquals(Arrays.copyOfRange(content, 4000, 4096), read(sha, 4000, 96), "to the end");
    assertArrayEquals(Arrays.copyOfRange(content, 4095, 4096), read(sha, 4095, 1), "last byte");
    assertArrayEquals(new byte[0], read(sha, 10, 0), "empty range");
  }

  @Test
  void putOfTheSameHashAgainIsIdempotent() throws IOException {
    byte[] content = random(3000);
    String sha = put(content);
    assertEquals(sha, put(content));
    assertTrue(store().exists(sha));
    assertEquals(content.length, store().size(sha));
    assertArrayEquals(content, read(sha, 0, content.length));
  }

  /** The orphan sweep's listing: stored content written before the cutoff, by hash. */
  @Test
  void scanListsStoredContentWrittenBeforeTheCutoff() throws IOException {
    String sha = put(random(500));
    java.util.Set<String> later = new java.util.HashSet<>();
    store().scan(Instant.now().plusSeconds(60), later::add);
    assertTrue(later.contains(sha), "listed with a cutoff after the write");
    java.util.Set<String> earlier = new java.util.HashSet<>();
    store().scan(Instant.now().minusSeconds(3600), earlier::add);
    assertFalse(earlier.contains(sha), "listed although written after the cutoff");
    store().delete(sha);
    java.util.Set<String> gone = new java.util.HashSet<>();
    store().scan(Instant.now().plusSeconds(60), gone::add);
    assertFalse(gone.contains(sha));
  }

  @Test
  void deleteRemovesAndIsIdempotent() throws IOException {
    byte[] content = random(500);
    String sha = put(content);
    byte[] other = random(600);
    String kept = put(other);

    store().delete(sha);
    assertFalse(store().exists(sha));
    assertThrows(NoSuchFileException.class, () -> store().size(sha));
    store().delete(sha); // already gone: no error
    store().delete(sha256(random(10))); // never stored: no error

    assertTrue(store().exists(kept), "other content untouched");
    assertArrayEquals(other, read(kept, 0, other.length));
  }

  @Test
  void missingContentIsNoSuchFile() throws IOException {
    String sha = sha256(random(100));
    assertFalse(store().exists(sha));
    assertThrows(NoSuchFileException.class, () -> store().size(sha));
    assertThrows(NoSuchFileException.class, () -> store().open(sha, 0, 10).close());
  }

  @Test
  void invalidHashesAreRejected() {
    for (String bad : new String[] {"../../etc/passwd", "ABC", sha256(new byte[1]) + "0"}) {
      assertThrows(IllegalArgumentException.class, () -> store().exists(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> store().open(bad, 0, 1), bad);
      assertThrows(IllegalArgumentException.class, () -> store().delete(bad), bad);
    }
  }

  @Test
  void tempFilesAreNewEmptyAndConsumedByPut() throws IOException {
    Path a = store().createTempFile();
    Path b = store().createTempFile();
    assertNotEquals(a, b);
    assertTrue(Files.isRegularFile(a));
    assertEquals(0, Files.size(a));

    byte[] content = random(2048);
    Files.write(a, content);
    String sha = sha256(content);
    store().put(sha, a);
    assertFalse(Files.exists(a), "put consumed the temp file");
    assertTrue(Files.exists(b), "other temp files stay");
    assertArrayEquals(content, read(sha, 0, content.length));
    Files.delete(b);
  }

  @Test
  void staleTempFilesAreSwept() throws IOException {
    Path old = store().createTempFile();
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path fresh = store().createTempFile();
    assertEquals(1, store().deleteStaleTempFiles(Duration.ofHours(1)));
    assertFalse(Files.exists(old));
    assertTrue(Files.exists(fresh));
    Files.delete(fresh);
  }

  @Test
  void largeContentIsStreamedInAndOut() throws Exception {
    int size = 5 * 1024 * 1024 + 17;
    Path tmp = store().createTempFile();
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    Random seeded = new Random(RANDOM.nextLong());
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(tmp)) {
      for (int left = size; left > 0; ) {
        int n = Math.min(left, chunk.length);
        seeded.nextBytes(chunk);
        written.update(chunk, 0, n);
        out.write(chunk, 0, n);
        left -= n;
      }
    }
    String sha = HexFormat.of().formatHex(written.digest());
    store().put(sha, tmp);
    assertEquals(size, store().size(sha));

    MessageDigest read = MessageDigest.getInstance("SHA-256");
    long total = 0;
    try (InputStream in = store().open(sha, 0, size)) {
      byte[] buf = new byte[32 * 1024];
      for (int n; (n = in.read(buf)) >= 0; ) {
        read.update(buf, 0, n);
        total += n;
      }
    }
    assertEquals(size, total);
    assertEquals(sha, HexFormat.of().formatHex(read.digest()));

    // A range across the 1 MiB boundary reads the same bytes as the full read.
    byte[] whole = read(sha, 0, size);
    int from = 1024 * 1024 - 10;
    assertArrayEquals(Arrays.copyOfRange(whole, from, from + 100_000), read(sha, from, 100_000));
  }

  /** Stores content through a temp file, as the upload path does; returns its hash. */
  protected String put(byte[] content) throws IOException {
    Path tmp = store().createTempFile();
    Files.write(tmp, content);
    String sha = sha256(content);
    store().put(sha, tmp);
    return sha;
  }

  protected byte[] read(String sha, long offset, long length) throws IOException {
    try (InputStream in = store().open(sha, offset, length)) {
      return in.readAllBytes();
    }
  }

  protected static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Deletes {@code dir} and everything below it, if it exists. */
  protected static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
