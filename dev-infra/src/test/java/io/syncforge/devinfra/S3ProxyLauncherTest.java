package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.S3ProxyLauncher.RunningS3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class S3ProxyLauncherTest {

  private static final Path DIR = Path.of("target", "test-s3proxy");

  @Test
  void startsAnswersAndStopsWithItsStdin() {
    RunningS3Proxy s3 = S3ProxyLauncher.builder().dataDir(DIR).start();
    try {
      assertTrue(s3.isAlive());
      // Unsigned requests are refused: proves an S3 server that checks signatures answers.
      assertEquals(403, s3.probe());
      assertEquals("127.0.0.1", s3.endpoint().getHost());
      assertTrue(Files.isDirectory(s3.dataDir().resolve("blobs")));
      assertTrue(Files.exists(s3.dataDir().resolve("s3proxy.pid")));
    } finally {
      s3.close();
    }
    assertFalse(s3.isAlive());
    assertEquals(-1, s3.probe());
    assertFalse(Files.exists(s3.dataDir().resolve("s3proxy.pid")));
  }

  @Test
  void aStartOnTheSameDirectoryStopsAnOrphanFirst() {
    RunningS3Proxy orphan = S3ProxyLauncher.builder().dataDir(DIR).start();
    try (RunningS3Proxy second = S3ProxyLauncher.builder().dataDir(DIR).start()) {
      assertFalse(orphan.isAlive(), "the server left on the directory was stopped");
      assertEquals(403, second.probe());
    } finally {
      orphan.close();
    }
  }
}
