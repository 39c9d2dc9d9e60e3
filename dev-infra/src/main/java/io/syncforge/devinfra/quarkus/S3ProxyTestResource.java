package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.S3ProxyLauncher;
import io.syncforge.devinfra.S3ProxyLauncher.RunningS3Proxy;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real S3-compatible server (S3Proxy, own JVM) for {@code @QuarkusTest}s. Init arg {@code prefix}
 * (required) names the service's S3 config group; the resource hands it {@code <prefix>.endpoint},
 * {@code <prefix>.region}, {@code <prefix>.access-key-id} and {@code <prefix>.secret-access-key}:
 *
 * <pre>{@code
 * new TestResourceEntry(S3ProxyTestResource.class, Map.of("prefix", "sync.media.s3"))
 * }</pre>
 */
public class S3ProxyTestResource implements QuarkusTestResourceLifecycleManager {

  private static volatile RunningS3Proxy current;
  private String prefix;

  /** The server started for the running tests. */
  public static RunningS3Proxy current() {
    RunningS3Proxy s3 = current;
    if (s3 == null) {
      throw new IllegalStateException("S3ProxyTestResource has not started");
    }
    return s3;
  }

  @Override
  public void init(Map<String, String> initArgs) {
    prefix = initArgs.get("prefix");
    if (prefix == null || prefix.isBlank()) {
      throw new IllegalArgumentException("S3ProxyTestResource needs init arg 'prefix'");
    }
  }

  @Override
  public Map<String, String> start() {
    RunningS3Proxy s3 =
        S3ProxyLauncher.builder().dataDir(Path.of("target", "dev-infra", "s3proxy")).start();
    current = s3;
    return Map.of(
        prefix + ".endpoint", s3.endpoint().toString(),
        prefix + ".region", "us-east-1",
        prefix + ".access-key-id", s3.accessKeyId(),
        prefix + ".secret-access-key", s3.secretAccessKey());
  }

  @Override
  public void stop() {
    RunningS3Proxy s3 = current;
    current = null;
    if (s3 != null) {
      s3.close();
    }
  }
}
