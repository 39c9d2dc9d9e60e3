package io.syncforge.devinfra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What every launcher of dev-infra is told the same way (PostgreSQL, Kafka, S3Proxy): where the
 * server keeps its data, which port it listens on, and whether to wipe the data first.
 *
 * @param <L> the launcher, returned by every setter so that calls chain
 */
public abstract class LauncherSettings<L extends LauncherSettings<L>> {

  /** Where the server keeps its files. */
  protected Path dataDir;

  /** The port to listen on; 0 picks a free one. */
  protected int port;

  /** Whether to wipe {@link #dataDir} before starting. */
  protected boolean fresh = true;

  /** Settings with data under {@code target/dev-infra/<name>}, a free port, fresh. */
  protected LauncherSettings(String name) {
    this.dataDir = Path.of("target", "dev-infra", name);
  }

  @SuppressWarnings("unchecked")
  private L self() {
    return (L) this;
  }

  /** Where the server keeps its files; created if missing. */
  public L dataDir(Path dataDir) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir == null");
    return self();
  }

  /** The port to listen on; 0 (the default) picks a free one. */
  public L port(int port) {
    this.port = port;
    return self();
  }

  /**
   * Whether to wipe the data directory before starting (default true, for tests). The local stack
   * passes false so data survives restarts.
   */
  public L fresh(boolean fresh) {
    this.fresh = fresh;
    return self();
  }

  /** Stops a server that a killed run left running on a data directory. */
  @FunctionalInterface
  protected interface OrphanStopper {
    void stopOrphanOn(Path dir) throws IOException;
  }

  /** {@link #dataDir}, absolute and normalized: where the server's files go. */
  protected Path dataDirectory() {
    return dataDir.toAbsolutePath().normalize();
  }

  /**
   * Prepares {@code dir} (the {@link #dataDirectory()}): created if missing, a server orphaned on
   * it stopped, and wiped first when {@link #fresh}.
   */
  protected void prepareDataDir(Path dir, OrphanStopper orphans) throws IOException {
    Files.createDirectories(dir);
    orphans.stopOrphanOn(dir);
    if (fresh) {
      Files2.deleteRecursively(dir);
      Files.createDirectories(dir);
    }
  }

  /**
   * Settings of a server that runs in its own JVM (Kafka, S3Proxy): its heap and how long to wait
   * for it to answer.
   *
   * @param <L> the launcher
   */
  public abstract static class Jvm<L extends Jvm<L>> extends LauncherSettings<L> {

    /** The server JVM's -Xmx. */
    protected String maxHeap;

    /** How long to wait for the server to answer. */
    protected Duration startupTimeout;

    /** Settings as {@link LauncherSettings#LauncherSettings(String)}, with these defaults. */
    protected Jvm(String name, String maxHeap, Duration startupTimeout) {
      super(name);
      this.maxHeap = maxHeap;
      this.startupTimeout = startupTimeout;
    }

    @SuppressWarnings("unchecked")
    private L me() {
      return (L) this;
    }

    /** The server JVM's -Xmx. */
    public L maxHeap(String maxHeap) {
      this.maxHeap = Objects.requireNonNull(maxHeap, "maxHeap == null");
      return me();
    }

    /** How long to wait for the server to answer. */
    public L startupTimeout(Duration startupTimeout) {
      this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout == null");
      return me();
    }
  }
}
