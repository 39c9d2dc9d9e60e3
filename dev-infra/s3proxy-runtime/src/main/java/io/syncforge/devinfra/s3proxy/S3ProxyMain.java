package io.syncforge.devinfra.s3proxy;

import java.io.IOException;
import java.io.InputStream;

/**
 * Entry point of the S3Proxy JVM. It starts {@code org.gaul.s3proxy.Main} with a properties file
 * and halts the JVM as soon as its standard input reaches end-of-file, which happens when the
 * parent process dies for any reason (including SIGKILL), so the server never outlives the test or
 * stack that started it.
 *
 * <p>S3Proxy classes are reached by reflection only, so the launcher can load this class's jar
 * location without loading the server.
 */
public final class S3ProxyMain {

  private S3ProxyMain() {}

  /**
   * Runs the server.
   *
   * @param args {@code [s3proxy.properties]}
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: S3ProxyMain <s3proxy.properties>");
      Runtime.getRuntime().halt(2);
    }
    Thread watchdog =
        new Thread(
            () -> {
              try (InputStream in = System.in) {
                byte[] buf = new byte[64];
                while (in.read(buf) >= 0) {
                  // The parent never writes; any bytes are ignored.
                }
              } catch (IOException e) {
                // A broken pipe means the parent is gone too.
              }
              System.err.println("[S3ProxyMain] parent gone (stdin closed), stopping S3Proxy");
              // Every write is complete when S3Proxy answers it; nothing to flush.
              Runtime.getRuntime().halt(0);
            },
            "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Class.forName("org.gaul.s3proxy.Main")
        .getMethod("main", String[].class)
        .invoke(null, (Object) new String[] {"--properties", args[0]});
  }
}
