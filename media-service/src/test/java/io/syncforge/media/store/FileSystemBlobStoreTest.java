package io.syncforge.media.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared {@link BlobStoreContract} against the filesystem store, plus its file layout. */
class FileSystemBlobStoreTest extends BlobStoreContract {

  private static final Path ROOT = Path.of("target", "test-fs-blobstore");
  private static FileSystemBlobStore store;

  @BeforeAll
  static void createStore() throws IOException {
    deleteRecursively(ROOT);
    store = new FileSystemBlobStore(ROOT);
  }

  @Override
  protected BlobStore store() {
    return store;
  }

  @Test
  void filesLiveAtAbCdSha() throws IOException {
    byte[] content = random(100);
    String sha = put(content);
    Path expected =
        ROOT.toAbsolutePath()
            .normalize()
            .resolve(sha.substring(0, 2))
            .resolve(sha.substring(2, 4))
            .resolve(sha);
    assertEquals(expected, store.pathOf(sha));
    assertTrue(Files.isRegularFile(expected));
    assertEquals(ROOT.toAbsolutePath().normalize().resolve("tmp"), store.tempDirectory());
  }
}
