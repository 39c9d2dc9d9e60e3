package io.syncforge.devinfra;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * A server in its own JVM (the Kafka broker, S3Proxy): its classpath comes from a resource that a
 * {@code *-runtime} module wrote at build time, its command line starts with a marker naming the
 * main class, and a pid file lets a later run stop it if its parent was killed.
 */
final class ChildJvm {

  private ChildJvm() {}

  /**
   * The first argument of every child JVM. First, because Linux shows only the first 4096
   * characters of a command line, and the classpath before the main class is longer.
   */
  static String marker(String mainClass) {
    return "-Dsyncforge.devinfra.main=" + mainClass;
  }

  /**
   * Reads a classpath resource written at build time by a runtime module, and puts the module's own
   * jar (or classes directory), which holds the child's main class, in front of it.
   */
  static String runtimeClasspath(String resource, String module) throws IOException {
    URL url = ChildJvm.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException(resource + " not found: is " + module + " on the classpath?");
    }
    String deps;
    try (InputStream in = url.openStream()) {
      deps = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    return codeLocation(url) + File.pathSeparator + deps;
  }

  private static String codeLocation(URL resource) {
    String url = resource.toString();
    try {
      if (url.startsWith("jar:")) {
        return Path.of(new URI(url.substring(4, url.indexOf("!/")))).toString();
      }
      // .../classes/META-INF/syncforge/<name>.classpath -> .../classes
      return Path.of(resource.toURI()).getParent().getParent().getParent().toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("unexpected resource URL " + url, e);
    }
  }

  /** The command of a small child JVM: marker, heap, quick start-up, quiet logging, then args. */
  static ProcessBuilder command(
      String mainClass, String classpath, String maxHeap, List<String> jvmArgs, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(marker(mainClass));
    cmd.add("-Xmx" + maxHeap);
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    return new ProcessBuilder(cmd);
  }

  /** Stops the child a killed run left behind (found through its pid file and marker). */
  static void stopOrphan(Path pidFile, String mainClass, Duration grace, String what, Logger log)
      throws IOException {
    var pid = Processes.readPid(pidFile);
    if (pid.isPresent()) {
      if (Processes.stopOrphan(pid.get(), marker(mainClass), grace)) {
        log.warn("stopped orphaned {} (pid {}) left on {}", what, pid.get(), pidFile.getParent());
      }
      Files.deleteIfExists(pidFile);
    }
  }
}
