package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.LocalStack;
import io.syncforge.devinfra.LocalStack.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 2: media-service SIGKILLed in the middle of a resumable (tus) upload and started
 * again; the device's next media sync continues the upload and the other device downloads exactly
 * the bytes attached.
 */
class MediaRestartCampaign {

  private final LocalStack stack = Stack.get();

  @Test
  void mediaServiceKilledMidUploadAndTheUploadResumes() throws Exception {
    String tenant = "t-fault-media";
    long t0 = System.currentTimeMillis();
    // Device a syncs records without media, so the upload starts only with the media sync
    // below (with media during sync, its first record sync uploaded the whole file already and
    // the kill never landed mid-upload).
    try (Device a = new Device(stack, tenant, "a", stack.apiUrl(), c -> c.mediaDuringSync(false));
        Device b = new Device(stack, tenant, "b")) {
      byte[] bytes = new byte[64 * 1024 * 1024]; // above the 8 MiB resumable threshold
      new Random(15).nextBytes(bytes);
      Path file = a.dir.resolve("video.bin");
      Files.write(file, bytes);
      String sha = a.client.media().attach(file, "application/octet-stream");
      a.client.collection("notes").put("with-video", Map.of("title", "v", "video", sha));
      a.syncUntilSettled();

      Path uploads = stack.home().resolve("media").resolve("uploads");
      CompletableFuture<?> first = CompletableFuture.runAsync(() -> a.client.media().sync());
      long partial = 0;
      for (int i = 0; i < 15_000 && partial == 0 && !first.isDone(); i++) {
        partial = partialBytes(uploads);
        Thread.sleep(2);
      }
      boolean midUpload = !first.isDone();
      stack.kill(Service.MEDIA);
      long atKill = partialBytes(uploads);
      // The point of the campaign is the resume: a kill after the upload finished proves nothing.
      assertTrue(
          midUpload && atKill > 0 && atKill < bytes.length,
          "the kill landed mid-upload (still running: " + midUpload + ", " + atKill + " bytes)");
      long r0 = System.currentTimeMillis();
      first.get(120, TimeUnit.SECONDS);
      stack.start(Service.MEDIA);
      long restartMs = System.currentTimeMillis() - r0;
      boolean uploaded = false;
      for (int i = 0; i < 20 && !uploaded; i++) {
        a.client.media().sync();
        uploaded = partialBytes(uploads) == 0 && download(b, sha).isPresent();
        if (!uploaded) {
          Device.sleep(500);
        }
      }
      Optional<Path> got = download(b, sha);
      assertTrue(got.isPresent(), "b has the file after the restart");
      assertArrayEquals(bytes, Files.readAllBytes(got.get()));
      String line =
          String.format(
              "| %s | media-service SIGKILLed mid-upload (tus, %d MiB; upload still running at the"
                  + " kill: %s, %,d bytes on the server), restarted | 1 file | verified on the other"
                  + " device | - | 1 | - | 0 | ready again %d ms | %.1f s |",
              FaultCampaignIT.FULL ? "full" : "subset",
              bytes.length >> 20,
              midUpload,
              atKill,
              restartMs,
              (System.currentTimeMillis() - t0) / 1000.0);
      FaultCampaignIT.writeReportLine(line);
    }
  }

  private static Optional<Path> download(Device b, String sha) {
    b.sync();
    b.client.media().sync();
    return b.client.media().file(sha);
  }

  private static long partialBytes(Path uploads) throws Exception {
    if (!Files.isDirectory(uploads)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(uploads)) {
      return s.mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
