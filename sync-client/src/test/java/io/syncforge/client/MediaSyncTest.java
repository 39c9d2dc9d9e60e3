package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.MediaMetadata;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaSyncTest {
  @TempDir Path dir;
  FakeServer server;
  SyncClient client;
  final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    server.close();
  }

  SyncClient client(int concurrency) {
    client =
        SyncClient.builder()
            .baseUrl(server.url())
            .mediaUrl(server.url() + "/")
            .database(dir.resolve("m.db"))
            .mediaDir(dir.resolve("media"))
            .transport(Transport.jdk(Duration.ofSeconds(5), Duration.ofSeconds(30)))
            .callbackExecutor(Runnable::run)
            .mediaConcurrency(concurrency)
            .build();
    return client;
  }

  static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  String publish(String content) throws Exception {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    String sha = sha(bytes);
    blobs.put(sha, bytes);
    ObjectNode meta = FakeServer.MAPPER.createObjectNode();
    meta.put("sha256", sha).put("size", bytes.length).put("contentType", "text/plain");
    server.serverWrite(MediaCollection.NAME, sha, meta);
    return sha;
  }

  static void sendBytes(HttpExchange ex, int status, byte[] bytes) throws Exception {
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Serves blobs, honouring {@code Range: bytes=N-}. */
  void serveBlobs(FakeServer.Handler before) {
    server.setDefault(
        "/v1/media/",
        (ex, body) -> {
          if (before != null) {
            before.handle(ex, body);
          }
          String sha = ex.getRequestURI().getPath().substring("/v1/media/".length());
          byte[] b = blobs.get(sha);
          String range = ex.getRequestHeaders().getFirst("Range");
          if (range != null) {
            int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            byte[] rest = java.util.Arrays.copyOfRange(b, from, b.length);
            ex.getResponseHeaders()
                .set("Content-Range", "bytes " + from + "-" + (b.length - 1) + "/" + b.length);
            sendBytes(ex, 206, rest);
          } else {
            sendBytes(ex, 200, b);
          }
        });
  }

  @Test
  void downloadsNeverExceedTheConcurrencyLimit() throws Exception {
    for (int i = 0; i < 9; i++) {
      publish("file " + i);
    }
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    CountDownLatch limitReached = new CountDownLatch(3);
    serveBlobs(
        (ex, body) -> {
          int now = inFlight.incrementAndGet();
          max.accumulateAndGet(now, Math::max);
          limitReached.countDown();
          // Hold the first requests until the limit is reached, so the test proves the limit is
          // both used and never exceeded.
          limitReached.await(20, TimeUnit.SECONDS);
          inFlight.decrementAndGet();
        });
    client(3);

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(9, s.mediaDownloaded());
    assertEquals(3, max.get());
    for (String sha : blobs.keySet()) {
      assertArrayEquals(blobs.get(sha), Files.readAllBytes(client.media().file(sha).orElseThrow()));
    }
    assertEquals(0, client.media().sync().downloaded(), "present files are not fetched again");
  }

  @Test
  void hashMismatchDiscardsTheFileAndNeverBlocksRecordSync() throws Exception {
    String sha = publish("the real content");
    server.serverWrite("tasks", "t-1", FakeServer.MAPPER.createObjectNode().put("a", 1));
    server.setDefault(
        "/v1/media/",
        (ex, body) -> sendBytes(ex, 200, "tampered".getBytes(StandardCharsets.UTF_8)));
    client(4);

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1, s.mediaFailed());
    assertTrue(client.collection("tasks").get("t-1").isPresent(), "records synced regardless");
    assertTrue(client.media().file(sha).isEmpty());
    assertFalse(Files.exists(dir.resolve("media/.partial/" + sha + ".part")));

    serveBlobs(null);
    assertEquals(1, client.media().sync().downloaded(), "retried later");
    assertTrue(client.media().file(sha).isPresent());
  }

  @Test
  void resumeContinuesFromThePartialLength() throws Exception {
    String sha = publish("0123456789abcdefghijklmnopqrstuvwxyz");
    Path partial = dir.resolve("media/.partial/" + sha + ".part");
    Files.createDirectories(partial.getParent());
    Files.write(partial, "0123456789".getBytes(StandardCharsets.UTF_8));
    serveBlobs(null);
    client(4);

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1, s.mediaDownloaded());
    List<FakeServer.Req> gets = server.requests("/v1/media/");
    assertEquals(1, gets.size());
    assertEquals("bytes=10-", gets.get(0).headers().get("range"));
    assertEquals(
        "0123456789abcdefghijklmnopqrstuvwxyz",
        Files.readString(client.media().file(sha).orElseThrow()));
    assertFalse(Files.exists(partial));
  }

  @Test
  void interruptedDownloadKeepsItsBytesAndTheNextRunResumes() throws Exception {
    byte[] big = new byte[256 * 1024];
    new java.util.Random(7).nextBytes(big);
    String sha = sha(big);
    blobs.put(sha, big);
    ObjectNode meta = FakeServer.MAPPER.createObjectNode();
    meta.put("sha256", sha).put("size", big.length);
    server.serverWrite(MediaCollection.NAME, sha, meta);
    server.enqueue(
        "/v1/media/",
        (ex, body) -> {
          ex.sendResponseHeaders(200, big.length);
          OutputStream out = ex.getResponseBody();
          out.write(big, 0, 100_000);
          out.flush();
          throw new java.io.IOException("connection cut"); // dispatch closes the exchange early
        });
    serveBlobs(null);
    client(1);

    SyncResult.Success first = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(1, first.mediaFailed());
    long kept = Files.size(dir.resolve("media/.partial/" + sha + ".part"));
    assertTrue(kept > 0 && kept < big.length, "partial kept: " + kept);

    assertEquals(1, client.media().sync().downloaded());
    List<FakeServer.Req> gets = server.requests("/v1/media/");
    assertEquals("bytes=" + kept + "-", gets.get(gets.size() - 1).headers().get("range"));
    assertArrayEquals(big, Files.readAllBytes(client.media().file(sha).orElseThrow()));
  }

  @Test
  void attachReturnsTheHashAtOnceAndUploadsOnSync() throws Exception {
    Path file = dir.resolve("photo.jpg");
    byte[] content = "jpeg bytes".getBytes(StandardCharsets.UTF_8);
    Files.write(file, content);
    AtomicInteger uploads = new AtomicInteger();
    server.setDefault(
        "/v1/media",
        (ex, body) -> {
          uploads.incrementAndGet();
          String declared = ex.getRequestHeaders().getFirst("X-Content-SHA256");
          assertEquals(sha(body), declared);
          FakeServer.send(
              ex,
              201,
              new MediaMetadata(
                  declared, body.length, "image/jpeg", "photo.jpg", null, null, null));
        });
    client(4);

    String sha = client.media().attach(file, "image/jpeg");

    assertEquals(sha(content), sha);
    assertArrayEquals(content, Files.readAllBytes(client.media().file(sha).orElseThrow()));
    client.collection("tasks").put("t-1", Map.of("photo", sha));
    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(1, s.mediaUploaded());
    FakeServer.Req up =
        server.requests("/v1/media").stream()
            .filter(r -> r.method().equals("POST"))
            .findFirst()
            .orElseThrow();
    assertEquals("photo.jpg", up.headers().get("x-file-name"));
    assertEquals("image/jpeg", up.headers().get("content-type"));
    assertArrayEquals(content, up.body());
    client.sync();
    assertEquals(1, uploads.get(), "uploaded once");
  }

  @Test
  void progressReportsBytesPerFileAndOverallForUploadsAndDownloads() throws Exception {
    // One upload of 300 KiB and two downloads (one resumed from a partial file).
    byte[] content = new byte[300 * 1024];
    new java.util.Random(5).nextBytes(content);
    Path file = dir.resolve("big.bin");
    Files.write(file, content);
    server.setDefault(
        "/v1/media",
        (ex, body) ->
            FakeServer.send(
                ex, 201, new MediaMetadata(sha(body), body.length, "a/b", null, null, null, null)));
    String d1 = publish("x".repeat(50_000));
    String d2 = publish("y".repeat(70_000));
    Path partial = dir.resolve("media").resolve(".partial");
    Files.createDirectories(partial);
    Files.writeString(partial.resolve(d2 + ".part"), "y".repeat(20_000));
    serveBlobs(null);
    client(2);
    List<MediaProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    client.media().addProgressListener(seen::add);
    String up = client.media().attach(file, "a/b");
    assertEquals(MediaProgress.NONE, client.status().media(), "no run yet");

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1, s.mediaUploaded());
    assertEquals(2, s.mediaDownloaded());
    MediaProgress last = client.media().progress();
    assertFalse(last.running());
    assertEquals(3, last.files().size());
    assertEquals(3, last.filesDone());
    assertEquals(300 * 1024 + 50_000 + 70_000, last.bytesTotal());
    assertEquals(last.bytesTotal(), last.bytesDone());
    assertEquals(last, client.status().media(), "the status carries the same progress");
    MediaProgress.FileProgress upload =
        last.files().stream().filter(f -> f.sha256().equals(up)).findFirst().orElseThrow();
    assertEquals(MediaProgress.Direction.UPLOAD, upload.direction());
    assertEquals(
        MediaProgress.Direction.DOWNLOAD,
        last.files().stream()
            .filter(f -> f.sha256().equals(d1))
            .findFirst()
            .orElseThrow()
            .direction());
    // Listeners saw the run start, files move and finish; counts never go down per file.
    assertTrue(seen.size() >= 6, "events: " + seen.size());
    assertTrue(seen.get(0).running());
    assertEquals(last, seen.get(seen.size() - 1));
    Map<String, Long> before = new java.util.HashMap<>();
    for (MediaProgress p : seen) {
      for (MediaProgress.FileProgress f : p.files()) {
        long prev = before.getOrDefault(f.sha256(), 0L);
        assertTrue(f.bytesDone() >= prev || f.bytesDone() == 0, f + " after " + prev);
        before.put(f.sha256(), f.bytesDone());
      }
    }
    assertTrue(
        seen.stream()
            .flatMap(p -> p.files().stream())
            .anyMatch(f -> f.sha256().equals(d2) && f.bytesDone() == 20_000),
        "the resumed download starts from its partial bytes");
  }

  @Test
  void failedUploadStaysQueuedAndNeverFailsRecordSync() throws Exception {
    Path file = dir.resolve("doc.pdf");
    Files.writeString(file, "pdf");
    AtomicInteger stored = new AtomicInteger();
    server.setDefault(
        "/v1/media",
        (ex, body) -> {
          stored.incrementAndGet();
          ex.sendResponseHeaders(200, -1); // stored already; no body
        });
    server.enqueue("/v1/media", FakeServer.status503RetryAfter(1));
    client(4);
    client.media().attach(file);
    client.collection("tasks").put("t-1", Map.of("doc", "x"));

    SyncResult.Success first = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(1, first.mediaFailed());
    assertEquals(0, first.stillPending(), "records synced regardless");

    SyncResult.Success second = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(1, second.mediaUploaded());
    assertEquals(0, assertInstanceOf(SyncResult.Success.class, client.sync()).mediaUploaded());
    assertEquals(1, stored.get());
  }
}
