package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A running server in its own JVM ({@link ChildJvm}: the Kafka broker, S3Proxy): its process, data
 * directory and log, the one wait until it answers and the one way to stop it.
 */
public abstract class RunningChildJvm implements AutoCloseable {
  /** The server JVM. */
  protected final Process process;

  private final String name;
  private final Path dataDir;
  private final Path logFile;
  private final String pidFile;
  private final Duration stopGrace;

  RunningChildJvm(
      String name,
      Process process,
      Path dataDir,
      Path logFile,
      String pidFile,
      Duration stopGrace) {
    this.name = name;
    this.process = process;
    this.dataDir = dataDir;
    this.logFile = logFile;
    this.pidFile = pidFile;
    this.stopGrace = stopGrace;
  }

  /** The server JVM's pid. */
  public long pid() {
    return process.pid();
  }

  /** Whether the server JVM is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Where the server writes its log. */
  public Path logFile() {
    return logFile;
  }

  /** The server's data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * Waits until {@code ready} answers true; a false answer or an exception (kept as the cause of
   * the timeout) means "not yet". Fails at once when the JVM exits.
   */
  final void waitUntil(Duration timeout, Callable<Boolean> ready) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + process.exitValue() + "; see " + logFile);
      }
      try {
        if (ready.call()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting " + name, e);
      }
    }
    throw new IllegalStateException(
        name + " not ready after " + timeout + "; see " + logFile, last);
  }

  /** Waits until the server answers (with {@link #waitUntil}). */
  abstract void awaitReady(Duration timeout);

  /** Waits until the server answers; one that does not is stopped, and the failure rethrown. */
  final void awaitReadyOrStop(Duration timeout) {
    try {
      awaitReady(timeout);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Starts a server JVM: output appended to {@code log}, stdin a pipe (closing it stops the
   * server), its pid written to {@code pidFile} so that a later run can stop an orphan.
   */
  static Process start(ProcessBuilder jvm, Path log, Path pidFile) throws IOException {
    Process p =
        jvm.redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    Files.writeString(pidFile, Long.toString(p.pid()));
    return p;
  }

  /** Stops the server: closes its stdin (it shuts down), then kills it if it lingers. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // Already closed.
    }
    try {
      if (!process.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(dataDir.resolve(pidFile));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
