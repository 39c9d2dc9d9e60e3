package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) as a real child
 * process, for black-box tests and benchmarks: started with system-property config, awaited on
 * {@code /q/health/ready}, stopped gracefully (SIGTERM) or killed outright (SIGKILL).
 */
public final class QuarkusAppProcess implements AutoCloseable {

  private final Process process;
  private final int port;
  private final String name;
  private final Path log;

  private QuarkusAppProcess(Process process, int port, String name, Path log) {
    this.process = process;
    this.port = port;
    this.name = name;
    this.log = log;
  }

  /**
   * Starts the app and waits until it is ready.
   *
   * @param name a name for the log file
   * @param appDir the module's {@code target/quarkus-app} directory
   * @param port the HTTP port (0 picks a free one)
   * @param config system properties ({@code -Dkey=value})
   * @param logDir where {@code <name>.log} goes (appended to)
   */
  public static QuarkusAppProcess start(
      String name, Path appDir, int port, Map<String, String> config, Path logDir) {
    Path jar = appDir.resolve("quarkus-run.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " missing: package the module first");
    }
    int chosen = port == 0 ? Processes.freePort() : port;
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx384m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Dquarkus.http.port=" + chosen);
    config.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-jar");
    cmd.add(jar.toString());
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + ".log");
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      QuarkusAppProcess app = new QuarkusAppProcess(p, chosen, name, log);
      try {
        // Generous: on a shared 2-core machine a service's start can take minutes.
        app.awaitReady(Duration.ofSeconds(Long.getLong("syncforge.ready-timeout-seconds", 240)));
      } catch (RuntimeException e) {
        app.kill();
        throw e;
      }
      return app;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** The process id. */
  public long pid() {
    return process.pid();
  }

  /** The HTTP port. */
  public int port() {
    return port;
  }

  /** {@code http://localhost:<port>}. */
  public String url() {
    return "http://localhost:" + port;
  }

  /** The log file. */
  public Path log() {
    return log;
  }

  /** Whether the process still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  private void awaitReady(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited during start; see " + log);
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(200);
    }
    throw new IllegalStateException(name + " not ready after " + timeout + "; see " + log);
  }

  /** SIGKILL: no shutdown hook, no graceful leave; an uncommitted transaction is simply gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, then SIGKILL after 20 s. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          kill();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill();
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
