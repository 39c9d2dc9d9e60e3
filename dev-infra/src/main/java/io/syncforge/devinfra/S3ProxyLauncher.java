package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a real S3-compatible server (<a href="https://github.com/gaul/s3proxy">S3Proxy</a> on the
 * jclouds {@code filesystem-nio2} backend) in its own JVM. Clients use path-style access and AWS
 * signature v2 or v4 with {@link RunningS3Proxy#accessKeyId()} / {@link
 * RunningS3Proxy#secretAccessKey()}. The server reads its standard input and halts when the pipe
 * closes, so it dies with the JVM that started it, even after a SIGKILL.
 *
 * <pre>{@code
 * try (RunningS3Proxy s3 = S3ProxyLauncher.builder().start()) {
 *   URI endpoint = s3.endpoint(); // http://127.0.0.1:<port>
 * }
 * }</pre>
 */
public final class S3ProxyLauncher extends LauncherSettings.Jvm<S3ProxyLauncher> {

  private static final Logger LOG = LoggerFactory.getLogger(S3ProxyLauncher.class);
  private static final String CLASSPATH_RESOURCE = "META-INF/syncforge/s3proxy.classpath";
  private static final String MAIN_CLASS = "io.syncforge.devinfra.s3proxy.S3ProxyMain";
  private static final String PID_FILE = "s3proxy.pid";

  private String accessKeyId = "syncforge-dev";
  private String secretAccessKey = "syncforge-dev-secret";

  private S3ProxyLauncher() {
    super("s3proxy", "256m", Duration.ofSeconds(60));
  }

  /** A launcher with defaults: data under {@code target/dev-infra/s3proxy}, free port, fresh. */
  public static S3ProxyLauncher builder() {
    return new S3ProxyLauncher();
  }

  /** The access key id and secret the server accepts (defaults are dev/test values). */
  public S3ProxyLauncher credentials(String accessKeyId, String secretAccessKey) {
    this.accessKeyId = Objects.requireNonNull(accessKeyId, "accessKeyId == null");
    this.secretAccessKey = Objects.requireNonNull(secretAccessKey, "secretAccessKey == null");
    return this;
  }

  /** Starts the server and waits until it answers HTTP requests. */
  public RunningS3Proxy start() {
    Path dir = dataDirectory();
    try {
      prepareDataDir(dir, S3ProxyLauncher::stopOrphanOn);
      Path blobs = dir.resolve("blobs");
      Files.createDirectories(blobs);
      int httpPort = port == 0 ? Processes.freePort() : port;
      URI endpoint = URI.create("http://127.0.0.1:" + httpPort);
      Path props = writeProperties(dir, blobs, endpoint);
      Path log = dir.resolveSibling(dir.getFileName() + ".log");
      long t0 = System.nanoTime();

      Process server =
          RunningChildJvm.start(javaProcess(serverClasspath(), props), log, dir.resolve(PID_FILE));
      RunningS3Proxy running =
          new RunningS3Proxy(server, endpoint, accessKeyId, secretAccessKey, dir, log);
      running.awaitReadyOrStop(startupTimeout);
      LOG.info(
          "S3Proxy on {} ({} ms), data {}, log {}",
          endpoint,
          (System.nanoTime() - t0) / 1_000_000,
          dir,
          log);
      return running;
    } catch (IOException e) {
      throw new UncheckedIOException("S3Proxy did not start in " + dir, e);
    }
  }

  private ProcessBuilder javaProcess(String classpath, Path props) {
    // S3Proxy's Main routes System.err into its logger; a logger writing to System.err would
    // recurse until the stack overflows.
    return ChildJvm.command(
        MAIN_CLASS,
        classpath,
        maxHeap,
        List.of("-Dorg.slf4j.simpleLogger.logFile=System.out"),
        List.of(props.toString()));
  }

  private Path writeProperties(Path dir, Path blobs, URI endpoint) throws IOException {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("s3proxy.endpoint", endpoint.toString());
    p.put("s3proxy.authorization", "aws-v2-or-v4");
    p.put("s3proxy.identity", accessKeyId);
    p.put("s3proxy.credential", secretAccessKey);
    p.put("jclouds.provider", "filesystem-nio2");
    p.put("jclouds.filesystem.basedir", blobs.toString());
    // The local backend ignores them, but S3Proxy's Main insists on both.
    p.put("jclouds.identity", "local");
    p.put("jclouds.credential", "local");
    StringBuilder sb = new StringBuilder("# written by dev-infra S3ProxyLauncher\n");
    p.forEach((k, v) -> sb.append(k).append('=').append(escape(v)).append('\n'));
    Path file = dir.resolve("s3proxy.properties");
    Files.writeString(file, sb.toString());
    return file;
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\");
  }

  static String serverClasspath() throws IOException {
    return ChildJvm.runtimeClasspath(CLASSPATH_RESOURCE, "dev-infra-s3proxy-runtime");
  }

  static void stopOrphanOn(Path dir) throws IOException {
    ChildJvm.stopOrphan(dir.resolve(PID_FILE), MAIN_CLASS, Duration.ofSeconds(10), "S3Proxy", LOG);
  }

  /** A running server. Closing it stops the server JVM; the data directory stays. */
  public static final class RunningS3Proxy extends RunningChildJvm {
    private final URI endpoint;
    private final String accessKeyId;
    private final String secretAccessKey;

    RunningS3Proxy(
        Process process,
        URI endpoint,
        String accessKeyId,
        String secretAccessKey,
        Path dataDir,
        Path logFile) {
      super("S3Proxy", process, dataDir, logFile, PID_FILE, Duration.ofSeconds(10));
      this.endpoint = endpoint;
      this.accessKeyId = accessKeyId;
      this.secretAccessKey = secretAccessKey;
    }

    /** {@code http://127.0.0.1:<port>}, for an S3 client's endpoint override (path style). */
    public URI endpoint() {
      return endpoint;
    }

    /** The access key id the server accepts. */
    public String accessKeyId() {
      return accessKeyId;
    }

    /** The secret access key the server accepts. */
    public String secretAccessKey() {
      return secretAccessKey;
    }

    /**
     * The HTTP status of an unsigned {@code GET /}, or -1 when nothing answers. A running server
     * answers 403 (every request must be signed).
     */
    public int probe() {
      try {
        HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(2000);
        try {
          return c.getResponseCode();
        } finally {
          c.disconnect();
        }
      } catch (IOException e) {
        return -1;
      }
    }

    @Override
    void awaitReady(Duration timeout) {
      waitUntil(timeout, () -> probe() > 0);
    }
  }
}
