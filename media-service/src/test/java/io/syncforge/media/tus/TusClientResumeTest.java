package io.syncforge.media.tus;

import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.fetchMeta;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.syncforge.client.Transport;
import io.syncforge.client.internal.ApiClient;
import io.syncforge.client.internal.LocalStore;
import io.syncforge.client.internal.MediaEngine;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Json;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 3 through sync-client: the link breaks during the client's PATCH; the next run
 * asks the server for its offset and sends only the rest.
 */
@QuarkusTest
@WithDevInfra
class TusClientResumeTest {

  @TempDir Path dir;

  @Test
  void clientResumesAnInterruptedUploadFromTheServersOffset() throws Exception {
    String token = token(newTenant(), "phone");
    byte[] video = content(3_500_000);
    String sha = sha256(video);
    Path source = dir.resolve("clip.mp4");
    Files.write(source, video);

    AtomicBoolean cut = new AtomicBoolean(true);
    List<String> patchOffsets = new CopyOnWriteArrayList<>();
    Transport jdk = Transport.jdk(Duration.ofSeconds(5), Duration.ofSeconds(30));
    Transport flaky =
        request -> {
          if (request.method().equals("PATCH")) {
            patchOffsets.add(request.headers().get("Upload-Offset"));
            if (cut.getAndSet(false)) {
              return jdk.execute(
                  new Transport.Request(
                      request.method(),
                      request.uri(),
                      request.headers(),
                      breakingAfter(request.body(), 1_500_000)));
            }
          }
          return jdk.execute(request);
        };
    String base = "http://localhost:" + RestAssured.port;
    ApiClient api = new ApiClient(flaky, base, base, () -> token, Json.newMapper());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (LocalStore store =
        new LocalStore(dir.resolve("db.sqlite"), Json.newMapper(), Clock.systemUTC())) {
      MediaEngine engine = new MediaEngine(store, api, dir.resolve("media"), pool, 1024 * 1024);
      assertEquals(sha, engine.attach(source, "video/mp4"));

      MediaEngine.Counts first = engine.run();
      assertEquals(0, first.uploaded());
      assertEquals(1, first.failed());
      assertEquals(1, patchOffsets.size(), "the first run sent no PATCH");

      MediaEngine.Counts second = runUntilUploaded(engine);
      assertEquals(
          1,
          second.uploaded(),
          () ->
              "offsets "
                  + patchOffsets
                  + ", last error "
                  + store.media(sha).map(r -> r.toString()));
      assertEquals("0", patchOffsets.get(0));
      long resumedAt = Long.parseLong(patchOffsets.get(patchOffsets.size() - 1));
      assertTrue(resumedAt > 0 && resumedAt <= 1_500_000, "resumed at " + resumedAt);
    } finally {
      pool.shutdownNow();
    }
    assertArrayEquals(video, download(token, sha));
    fetchMeta(token, sha).then().statusCode(200);
  }

  /**
   * The server may still be finishing the broken PATCH (409 until it notices); the client's next
   * runs retry like after any failure.
   */
  private static MediaEngine.Counts runUntilUploaded(MediaEngine engine) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    MediaEngine.Counts c;
    do {
      c = engine.run();
      if (c.uploaded() == 0) {
        Thread.sleep(200);
      }
    } while (c.uploaded() == 0 && System.nanoTime() < deadline);
    return c;
  }

  private static Transport.BodySource breakingAfter(Transport.BodySource body, long limit) {
    return new Transport.BodySource() {
      @Override
      public InputStream open() throws IOException {
        return new FilterInputStream(body.open()) {
          long sent;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent >= limit) {
              throw new IOException("link lost");
            }
            int n = super.read(b, off, (int) Math.min(len, limit - sent));
            if (n > 0) {
              sent += n;
            }
            return n;
          }
        };
      }

      @Override
      public long length() {
        return body.length();
      }
    };
  }
}
