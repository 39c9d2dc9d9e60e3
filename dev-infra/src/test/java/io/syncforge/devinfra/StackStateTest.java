package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.syncforge.devinfra.StackState.Health;
import io.syncforge.devinfra.StackState.Piece;
import io.syncforge.devinfra.StackState.Probe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackStateTest {

  @TempDir Path home;

  private static final long ME = ProcessHandle.current().pid();

  @Test
  void roundTripsAndDeletes() {
    StackState state =
        new StackState(
            ME,
            List.of(
                new Piece("postgres", 11, 15432, Probe.TCP),
                new Piece("sync-api", 0, 8080, Probe.HTTP)));
    state.write(home);
    assertEquals(Optional.of(state), StackState.read(home));
    StackState.delete(home);
    assertEquals(Optional.empty(), StackState.read(home));
  }

  @Test
  void aDamagedFileCountsAsNoState() throws Exception {
    Files.writeString(home.resolve(StackState.FILE), "pieces=a\na.pid=twelve\n");
    assertEquals(Optional.empty(), StackState.read(home));
  }

  @Test
  void statusProbesEveryPiece() throws Exception {
    HttpServer ready = health(200);
    HttpServer starting = health(503);
    int closedPort = Processes.freePort();
    try (ServerSocket tcp = new ServerSocket(0)) {
      Piece pg = new Piece("postgres", ME, tcp.getLocalPort(), Probe.TCP);
      Piece api = new Piece("sync-api", ME, ready.getAddress().getPort(), Probe.HTTP);
      Piece media = new Piece("media-service", ME, starting.getAddress().getPort(), Probe.HTTP);
      Piece kafka = new Piece("kafka", ME, closedPort, Probe.TCP);
      Piece changelog = new Piece("change-log-service", 0, closedPort, Probe.HTTP);
      assertEquals(Health.READY, StackState.health(pg));
      assertEquals(Health.READY, StackState.health(api));
      assertEquals(Health.NOT_READY, StackState.health(media));
      assertEquals(Health.NOT_READY, StackState.health(kafka));
      assertEquals(Health.NOT_RUNNING, StackState.health(changelog));

      new StackState(ME, List.of(pg, api)).write(home);
      assertEquals(0, status());
      new StackState(ME, List.of(pg, api, media, kafka, changelog)).write(home);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(1, StackState.printStatus(home, new PrintStream(out, true, "UTF-8")));
      String text = out.toString(StandardCharsets.UTF_8);
      assertTrue(text.matches("(?s).*sync-api +" + ME + " +" + api.port() + " +ready\n.*"), text);
      assertTrue(text.matches("(?s).*media-service +" + ME + " +\\d+ +not ready\n.*"), text);
      assertTrue(text.matches("(?s).*change-log-service +- +\\d+ +not running\n.*"), text);
    } finally {
      ready.stop(0);
      starting.stop(0);
    }
  }

  /** A server whose {@code /q/health/ready} answers {@code status}. */
  private static HttpServer health(int status) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/q/health/ready",
        x -> {
          x.sendResponseHeaders(status, -1);
          x.close();
        });
    server.start();
    return server;
  }

  @Test
  void noStateOrADeadLauncherMeansNotRunning() throws Exception {
    assertEquals(3, status());
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    assertFalse(StackState.alive(gone.pid()));
    new StackState(gone.pid(), List.of(new Piece("sync-api", ME, 1, Probe.HTTP))).write(home);
    assertEquals(3, status());
  }

  private int status() throws Exception {
    return StackState.printStatus(
        home, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
  }
}
