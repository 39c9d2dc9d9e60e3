package io.syncforge.media.store;

import io.syncforge.media.MediaConfig;
import io.syncforge.protocol.validation.Ids;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Blobs as files: {@code <root>/ab/cd/<sha256>}, temp files in {@code <root>/tmp}. Content is
 * immutable once written, so readers need no lock: a put of the same hash renames identical bytes
 * over the old file and open streams keep reading the old inode. The default store ({@code
 * sync.media.store=filesystem}); {@link BlobStoreProducer} creates it.
 */
public class FileSystemBlobStore implements BlobStore {

  private final Path root;
  private final Path tmp;

  public FileSystemBlobStore(MediaConfig config) {
    this(Path.of(config.root()));
  }

  /** A store under {@code root} (created on the first write). */
  public FileSystemBlobStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.tmp = this.root.resolve("tmp");
  }

  /** The file of a hash; the hash is checked so no id can leave the root. */
  public Path pathOf(String sha256) {
    if (!Ids.isSha256Hex(sha256)) {
      throw new IllegalArgumentException("not a sha256: " + sha256);
    }
    return root.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
  }

  /** The temp directory (for tests and the stale-file sweep). */
  public Path tempDirectory() {
    return tmp;
  }

  @Override
  public Path createTempFile() throws IOException {
    return LocalTempFiles.create(tmp);
  }

  @Override
  public boolean placesTempFile() {
    return true;
  }

  /**
   * Renames the (already fsynced) temp file into place and fsyncs the directories the rename and
   * any new directory changed, so the file survives a power loss once the metadata commits.
   */
  @Override
  public void put(String sha256, Path verifiedTempFile) throws IOException {
    placeDeferringSync(sha256, verifiedTempFile).run();
  }

  /**
   * The rename of {@link #put}; the directory fsyncs are the returned {@link BlobStore.Sync}. Until
   * it ran, the file is in place for readers but may not survive a power loss.
   */
  @Override
  public BlobStore.Sync placeDeferringSync(String sha256, Path verifiedTempFile)
      throws IOException {
    Path target = pathOf(sha256);
    Path dir = target.getParent();
    boolean newDirectory = !Files.isDirectory(dir);
    if (newDirectory) {
      Files.createDirectories(dir);
    }
    // rename(2): atomic, and replaces an existing file of the same (identical) content.
    Files.move(verifiedTempFile, target, StandardCopyOption.ATOMIC_MOVE);
    // All entry changes first, then their fsyncs: the first one commits the file system's journal
    // with all of them, so the others have (almost) nothing left to wait for. An fsync between
    // the mkdir and the rename would cost a journal commit of its own.
    return () -> {
      fsyncDirectory(dir);
      if (newDirectory) {
        fsyncDirectory(dir.getParent());
        fsyncDirectory(root);
      }
    };
  }

  /** fsync(2) of a directory: makes its entries (a rename, a new file) durable. */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  @Override
  public void scan(Instant cutoff, Consumer<String> found) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    FileTime before = FileTime.from(cutoff);
    try (DirectoryStream<Path> level1 =
        Files.newDirectoryStream(root, FileSystemBlobStore::hexPair)) {
      for (Path d1 : level1) {
        try (DirectoryStream<Path> level2 =
            Files.newDirectoryStream(d1, FileSystemBlobStore::hexPair)) {
          for (Path d2 : level2) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(d2)) {
              for (Path f : files) {
                String name = f.getFileName().toString();
                if (Ids.isSha256Hex(name)
                    && pathOf(name).equals(f)
                    && lastModified(f).compareTo(before) < 0) {
                  found.accept(name);
                }
              }
            }
          }
        }
      }
    }
  }

  private static boolean hexPair(Path p) {
    String n = p.getFileName().toString();
    return n.length() == 2
        && n.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  private static FileTime lastModified(Path f) {
    try {
      return Files.getLastModifiedTime(f);
    } catch (IOException e) {
      // gone meanwhile: never older than any cutoff
      return FileTime.from(Instant.MAX);
    }
  }

  @Override
  public java.util.Optional<Path> localFile(String sha256) {
    return java.util.Optional.of(pathOf(sha256));
  }

  @Override
  public boolean exists(String sha256) {
    return Files.isRegularFile(pathOf(sha256));
  }

  @Override
  public long size(String sha256) throws IOException {
    return Files.size(pathOf(sha256));
  }

  @Override
  public InputStream open(String sha256, long offset, long length) throws IOException {
    FileChannel channel = FileChannel.open(pathOf(sha256), StandardOpenOption.READ);
    try {
      channel.position(offset);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    return new Bounded(Channels.newInputStream(channel), length);
  }

  @Override
  public void delete(String sha256) throws IOException {
    Files.deleteIfExists(pathOf(sha256));
  }

  @Override
  public int deleteStaleTempFiles(Duration olderThan) throws IOException {
    return LocalTempFiles.deleteStale(tmp, olderThan);
  }

  /** Stops after {@code remaining} bytes. */
  private static final class Bounded extends FilterInputStream {
    private long remaining;

    Bounded(InputStream in, long length) {
      super(in);
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }
  }
}
