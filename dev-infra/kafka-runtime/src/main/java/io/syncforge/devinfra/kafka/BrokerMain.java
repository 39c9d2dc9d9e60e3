package io.syncforge.devinfra.kafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * Entry point of the broker JVM. It starts {@code kafka.Kafka} and halts the JVM as soon as its
 * standard input reaches end-of-file, which happens when the parent process dies for any reason
 * (including SIGKILL), so a broker never outlives the test or stack that started it.
 *
 * <p>Kafka classes are reached by reflection only, so the launcher can load this class's jar
 * location without loading the broker.
 */
public final class BrokerMain {

  private BrokerMain() {}

  /**
   * Runs the broker.
   *
   * @param args {@code [server.properties]} or {@code format <server.properties> <clusterId>}
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("format")) {
      // StorageTool calls Exit.exit itself; run in this short-lived JVM.
      Class.forName("kafka.tools.StorageTool")
          .getMethod("main", String[].class)
          .invoke(
              null,
              (Object) new String[] {"format", "-t", args[2], "-c", args[1], "--ignore-formatted"});
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: BrokerMain <server.properties> | format <props> <clusterId>");
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
              System.err.println("[BrokerMain] parent gone (stdin closed), stopping broker");
              // Graceful first (Kafka's shutdown hook flushes and closes logs), never hang.
              Thread halter =
                  new Thread(
                      () -> {
                        try {
                          Thread.sleep(15_000);
                        } catch (InterruptedException ignored) {
                          // Halt anyway.
                        }
                        Runtime.getRuntime().halt(1);
                      },
                      "halt-fallback");
              halter.setDaemon(true);
              halter.start();
              System.exit(0);
            },
            "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Class.forName("kafka.Kafka").getMethod("main", String[].class).invoke(null, (Object) args);
  }
}
