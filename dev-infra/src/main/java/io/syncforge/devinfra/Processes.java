package io.syncforge.devinfra;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Small helpers for ports and for processes left behind by a killed run. */
public final class Processes {

  private Processes() {}

  /** A TCP port that was free on the loopback interface a moment ago. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** The pid on the first line of a pid file, if the file exists and holds one. */
  public static Optional<Long> readPid(Path pidFile) {
    try {
      if (!Files.isRegularFile(pidFile)) {
        return Optional.empty();
      }
      String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
      return first.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(first));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Stops a process that a previous, killed run left behind: SIGTERM, then SIGKILL after the grace
   * period. Only a live process whose command line contains {@code commandMarker} is touched, so a
   * recycled pid belonging to something else is left alone.
   *
   * @return true when an orphan was found and stopped
   */
  public static boolean stopOrphan(long pid, String commandMarker, Duration grace) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return false;
    }
    ProcessHandle process = handle.get();
    String commandLine = process.info().commandLine().orElse(process.info().command().orElse(""));
    if (!commandLine.contains(commandMarker)) {
      return false;
    }
    process.destroy();
    try {
      process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception timeoutOrInterrupt) {
      process.destroyForcibly();
      try {
        process.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("orphan process " + pid + " does not die", e);
      }
    }
    return true;
  }
}
