package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A file attached on one device appears, verified, on the other; a corrupted copy heals. */
class MediaIT {

  private final LocalStack stack = Stack.get();

  @Test
  void anAttachedFileReachesTheOtherDeviceAndACorruptedCopyIsReplaced() throws Exception {
    String tenant = "t-media";
    try (Device a = new Device(stack, tenant, "a");
        Device b = new Device(stack, tenant, "b")) {
      byte[] bytes = new byte[300_000];
      new Random(42).nextBytes(bytes);
      Path photo = a.dir.resolve("photo.jpg");
      Files.write(photo, bytes);
      String sha = a.client.media().attach(photo, "image/jpeg");
      a.client.collection("notes").put("with-photo", Map.of("title", "Holiday", "photo", sha));
      a.syncUntilSettled();
      a.client.media().sync();

      Optional<Path> got = Optional.empty();
      for (int i = 0; i < 40 && got.isEmpty(); i++) {
        b.sync();
        b.client.media().sync();
        got = b.client.media().file(sha);
        if (got.isEmpty()) {
          Device.sleep(250);
        }
      }
      assertTrue(got.isPresent(), "b has the file");
      assertArrayEquals(bytes, Files.readAllBytes(got.get()));
      assertEquals(
          sha,
          b.client
              .collection("notes")
              .get("with-photo")
              .orElseThrow()
              .data()
              .get("photo")
              .asText());

      // Corrupt b's copy: the next media sync notices the wrong hash and downloads it again.
      Files.write(got.get(), "not the photo".getBytes());
      b.client.media().sync();
      Path healed = b.client.media().file(sha).orElseThrow();
      assertArrayEquals(bytes, Files.readAllBytes(healed));
    }
  }
}
