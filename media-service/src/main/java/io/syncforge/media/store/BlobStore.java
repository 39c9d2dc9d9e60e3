package io.syncforge.media.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Where the bytes live, addressed by SHA-256. Callers verify the hash before {@link #put}; the
 * store never sees unverified content. The filesystem implementation is the default; an object
 * store (S3) fits behind the same methods.
 */
public interface BlobStore {

  /**
   * A new empty local temp file for an upload in progress, on a volume from which {@link #put} can
   * take it cheaply (for the filesystem store: the same volume, so put is a rename).
   */
  Path createTempFile() throws IOException;

  /**
   * Stores verified content under its hash, consuming {@code verifiedTempFile} (it is gone
   * afterwards). Idempotent: storing the same hash again replaces the bytes with identical ones.
   */
  void put(String sha256, Path verifiedTempFile) throws IOException;

  /** The step that makes a {@link #placeDeferringSync} placement durable. */
  @FunctionalInterface
  interface Sync {
    /** Nothing left to do. */
    Sync DONE = () -> {};

    void run() throws IOException;
  }

  /**
   * Like {@link #put}, but may leave the last step that makes the placement durable (the filesystem
   * store's directory fsync) to the returned action, so the caller can run it while it does other
   * work (the registration's first statement); it must have run before metadata pointing at the
   * bytes commits. The default puts and returns {@link Sync#DONE}.
   */
  default Sync placeDeferringSync(String sha256, Path verifiedTempFile) throws IOException {
    put(sha256, verifiedTempFile);
    return Sync.DONE;
  }

  /**
   * Whether {@link #put} makes the temp file itself the stored file (a rename), so the upload must
   * fsync it first; false where put copies it elsewhere and deletes it (S3).
   */
  boolean placesTempFile();

  /**
   * Calls {@code found} with the hash of every stored content last written before {@code cutoff}
   * (the orphan sweep compares them with the blob rows). Entries that are not content of this store
   * are skipped.
   */
  void scan(Instant cutoff, Consumer<String> found) throws IOException;

  /**
   * The local file of the content when this store keeps it as one (the filesystem store), so a
   * download can be sent with {@code sendfile(2)}; empty for remote stores.
   */
  default java.util.Optional<Path> localFile(String sha256) {
    return java.util.Optional.empty();
  }

  /** Whether content with this hash is stored. */
  boolean exists(String sha256) throws IOException;

  /**
   * {@link #exists} for callers that cannot answer without it: a store that cannot be reached is an
   * {@link UncheckedIOException}.
   */
  default boolean existsUnchecked(String sha256) {
    try {
      return exists(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the blob store", e);
    }
  }

  /** The stored length in bytes; {@link java.nio.file.NoSuchFileException} if absent. */
  long size(String sha256) throws IOException;

  /**
   * Reads {@code length} bytes from {@code offset}. The caller closes the stream; {@link
   * java.nio.file.NoSuchFileException} if absent.
   */
  InputStream open(String sha256, long offset, long length) throws IOException;

  /** Removes the content; no error when it is already gone. */
  void delete(String sha256) throws IOException;

  /** Removes upload temp files older than the given age (left by a crash); returns the count. */
  int deleteStaleTempFiles(Duration olderThan) throws IOException;
}
