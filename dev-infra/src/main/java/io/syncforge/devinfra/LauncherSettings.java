package io.syncforge.devinfra;

import java.nio.file.Path;
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
}
