package io.syncforge.media.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** Upload temp files ({@code <dir>/<uuid>.part}), shared by the filesystem and the S3 store. */
final class LocalTempFiles {

  private LocalTempFiles() {}

  static Path create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(UUID.randomUUID() + ".part");
    Files.createFile(file);
    return file;
  }

  static int deleteStale(Path dir, Duration olderThan) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    FileTime cutoff = FileTime.from(Instant.now().minus(olderThan));
    int deleted = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.part")) {
      for (Path file : files) {
        try {
          if (Files.getLastModifiedTime(file).compareTo(cutoff) < 0 && Files.deleteIfExists(file)) {
            deleted++;
          }
        } catch (NoSuchFileException e) {
          // finished or cleaned up meanwhile
        }
      }
    }
    return deleted;
  }
}
