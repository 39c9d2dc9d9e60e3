package io.syncforge.devinfra;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What a running {@link LocalStack} consists of, written to {@code <home>/stack.state} whenever a
 * piece starts or stops (and removed on a clean stop): the launcher's pid and, per piece, its pid
 * and port. {@code ./sync-stack status} reads it; the next start reads it to stop the processes a
 * SIGKILLed run left behind.
 *
 * @param launcherPid the JVM that runs the stack
 * @param pieces PostgreSQL, Kafka and the services, in start order
 */
public record StackState(long launcherPid, List<Piece> pieces) {

  /** The file name under the stack's home. */
  public static final String FILE = "stack.state";

  /** How a piece is probed for readiness. */
  public enum Probe {
    /** A TCP connection to the port is accepted (PostgreSQL, Kafka). */
    TCP,
    /** {@code GET /q/health/ready} answers 200 (the Quarkus services). */
    HTTP
  }

  /**
   * One process of the stack.
   *
   * @param name {@code postgres}, {@code kafka} or the service's module name
   * @param pid its process id; 0 when it is not running
   * @param port the port it serves on
   * @param probe how readiness is checked
   */
  public record Piece(String name, long pid, int port, Probe probe) {}

  /** What {@code status} found for one piece. */
  public enum Health {
    /** Process alive and answering. */
    READY,
    /** Process alive but not (yet) answering. */
    NOT_READY,
    /** No such process. */
    NOT_RUNNING
  }

  /** Writes the state atomically (a reader never sees half a file). */
  public void write(Path home) {
    Properties p = new Properties();
    p.setProperty("launcher.pid", Long.toString(launcherPid));
    List<String> names = new ArrayList<>();
    for (Piece piece : pieces) {
      names.add(piece.name());
      p.setProperty(piece.name() + ".pid", Long.toString(piece.pid()));
      p.setProperty(piece.name() + ".port", Integer.toString(piece.port()));
      p.setProperty(piece.name() + ".probe", piece.probe().name());
    }
    p.setProperty("pieces", String.join(",", names));
    try {
      Files.createDirectories(home);
      Path tmp = home.resolve(FILE + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "written by LocalStack; read by ./sync-stack status");
      }
      Files.move(
          tmp,
          home.resolve(FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + home.resolve(FILE), e);
    }
  }

  /** Removes the state file (a clean stop). */
  public static void delete(Path home) {
    try {
      Files.deleteIfExists(home.resolve(FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The state a stack under {@code home} last wrote, if any (a damaged file counts as none). */
  public static Optional<StackState> read(Path home) {
    Path file = home.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
      List<Piece> pieces = new ArrayList<>();
      for (String name : p.getProperty("pieces", "").split(",")) {
        if (!name.isEmpty()) {
          pieces.add(
              new Piece(
                  name,
                  Long.parseLong(p.getProperty(name + ".pid", "0")),
                  Integer.parseInt(p.getProperty(name + ".port", "0")),
                  Probe.valueOf(p.getProperty(name + ".probe", "TCP"))));
        }
      }
      return Optional.of(
          new StackState(Long.parseLong(p.getProperty("launcher.pid", "0")), List.copyOf(pieces)));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Whether a pid names a live process. */
  public static boolean alive(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Probes one piece: is its process alive, does it answer on its port. */
  public static Health health(Piece piece) {
    if (!alive(piece.pid())) {
      return Health.NOT_RUNNING;
    }
    return answers(piece) ? Health.READY : Health.NOT_READY;
  }

  private static boolean answers(Piece piece) {
    if (piece.probe() == Probe.TCP) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", piece.port()), 2000);
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + piece.port() + "/q/health/ready"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Prints one line per piece ({@code name pid port ready|not ready|not running}) and returns the
   * exit status of {@code ./sync-stack status}: 0 when everything is ready, 1 when something is
   * not, 3 when no stack runs under {@code home}.
   */
  public static int printStatus(Path home, PrintStream out) {
    Optional<StackState> state = read(home);
    if (state.isEmpty() || !alive(state.get().launcherPid())) {
      out.println("not running (no live stack under " + home + ")");
      return 3;
    }
    out.printf("%-20s %-8s %-6s %s%n", "SERVICE", "PID", "PORT", "STATE");
    boolean allReady = true;
    for (Piece piece : state.get().pieces()) {
      Health h = health(piece);
      allReady &= h == Health.READY;
      out.printf(
          "%-20s %-8s %-6d %s%n",
          piece.name(),
          piece.pid() > 0 ? Long.toString(piece.pid()) : "-",
          piece.port(),
          h.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
    }
    out.println("launcher pid " + state.get().launcherPid() + ", home " + home);
    return allReady ? 0 : 1;
  }
}
