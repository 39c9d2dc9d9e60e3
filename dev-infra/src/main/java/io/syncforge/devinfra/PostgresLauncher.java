package io.syncforge.devinfra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a real PostgreSQL server from the binaries shipped in a Maven artifact (zonky), as root or
 * not, without Docker or an installed server.
 *
 * <pre>{@code
 * try (RunningPostgres pg = PostgresLauncher.builder().dataDir(Path.of("target/pg")).start()) {
 *   String url = pg.createDatabase("sync");
 * }
 * }</pre>
 *
 * <p>The server's output goes to {@code <dataDir>/../<name>.log}. A server left running by a run
 * that was killed with SIGKILL is found through {@code postmaster.pid} and stopped first.
 */
public final class PostgresLauncher extends LauncherSettings<PostgresLauncher> {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresLauncher.class);
  private static final Pattern DB_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

  private PostgresLauncher() {
    super("postgres");
  }

  /** A launcher with defaults: data under {@code target/dev-infra/postgres}, free port, fresh. */
  public static PostgresLauncher builder() {
    return new PostgresLauncher();
  }

  /** Starts the server and waits until it accepts connections. */
  public RunningPostgres start() {
    Path dir = dataDirectory();
    try {
      prepareDataDir(dir, PostgresLauncher::stopOrphanOn);
      Path log = dir.resolveSibling(dir.getFileName() + ".log");
      int chosenPort = port == 0 ? Processes.freePort() : port;
      long started = System.nanoTime();
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir)
              .setCleanDataDirectory(fresh)
              .setPort(chosenPort)
              .setServerConfig("max_connections", "200")
              .setServerConfig("fsync", fresh ? "off" : "on")
              .setServerConfig("synchronous_commit", fresh ? "off" : "on")
              .setServerConfig("full_page_writes", fresh ? "off" : "on")
              .setPGStartupWait(Duration.ofSeconds(60))
              .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      LOG.info(
          "PostgreSQL on port {} ({} ms), data {}, log {}",
          pg.getPort(),
          (System.nanoTime() - started) / 1_000_000,
          dir,
          log);
      return new RunningPostgres(pg, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL did not start in " + dir, e);
    }
  }

  /** Stops a postmaster that a killed run left on this data directory. */
  static void stopOrphanOn(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    var pid = Processes.readPid(pidFile);
    if (pid.isPresent()) {
      if (Processes.stopOrphan(pid.get(), "postgres", Duration.ofSeconds(15))) {
        LOG.warn("stopped orphaned PostgreSQL (pid {}) left on {}", pid.get(), dir);
      }
      Files.deleteIfExists(pidFile);
    }
  }

  /** A running server. Closing it stops the server (and wipes its data if it was fresh). */
  public static final class RunningPostgres implements AutoCloseable {
    private final EmbeddedPostgres pg;
    private final Path dataDir;

    RunningPostgres(EmbeddedPostgres pg, Path dataDir) {
      this.pg = pg;
      this.dataDir = dataDir;
    }

    /** The TCP port on 127.0.0.1 / localhost. */
    public int port() {
      return pg.getPort();
    }

    /** The superuser's name; local connections need no password. */
    public String superuser() {
      return "postgres";
    }

    /** The cluster's data directory. */
    public Path dataDir() {
      return dataDir;
    }

    /** JDBC URL of a database on this server. */
    public String jdbcUrl(String database) {
      return "jdbc:postgresql://localhost:" + port() + "/" + database;
    }

    /** The server's pid, from {@code postmaster.pid}. */
    public long pid() {
      return Processes.readPid(dataDir.resolve("postmaster.pid"))
          .orElseThrow(() -> new IllegalStateException("no postmaster.pid in " + dataDir));
    }

    /**
     * Creates the database if it does not exist yet.
     *
     * @return its JDBC URL
     */
    public String createDatabase(String name) {
      if (!DB_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("invalid database name: " + name);
      }
      try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), superuser(), "");
          Statement s = c.createStatement()) {
        var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
        if (!rs.next()) {
          s.execute("CREATE DATABASE " + name);
        }
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create database " + name, e);
      }
      return jdbcUrl(name);
    }

    /**
     * Stops the server with a fast shutdown (SIGINT: every session ends, nothing committed is
     * lost), as an outage does, and waits until it has exited. {@link #startAgain()} brings it back
     * on the same data directory and port.
     */
    public void stop() {
      long pid = pid();
      ProcessHandle handle =
          ProcessHandle.of(pid)
              .orElseThrow(() -> new IllegalStateException("PostgreSQL " + pid + " not running"));
      signal(pid, "INT");
      try {
        handle.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("PostgreSQL " + pid + " did not stop within 60 s", e);
      }
    }

    /**
     * Starts a stopped server again, exactly as it last ran: the postmaster's own record of its
     * command line ({@code postmaster.opts}: binary, data directory, port, settings). A second
     * zonky {@code EmbeddedPostgres} cannot do this in the same JVM: the first still holds the data
     * directory's lock. Waits until the server accepts connections; output goes to the same log.
     */
    public void startAgain() {
      Path opts = dataDir.resolve("postmaster.opts");
      Process started;
      try {
        List<String> cmd = commandLine(Files.readString(opts).strip());
        // As root, zonky runs the server in a user namespace (PostgreSQL refuses root): so here.
        if ("root".equals(System.getProperty("user.name"))) {
          cmd.addAll(0, List.of("unshare", "-U"));
        }
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        started =
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start PostgreSQL again from " + opts, e);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), superuser(), "")) {
          return;
        } catch (SQLException notYet) {
          if (System.nanoTime() > deadline || !started.isAlive()) {
            started.descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
            throw new IllegalStateException(
                "PostgreSQL not accepting connections after its start; see its log", notYet);
          }
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
      }
    }

    /** {@link #stop()}, {@code down} without a server, {@link #startAgain()}. */
    public void restart(Duration down) throws InterruptedException {
      stop();
      Thread.sleep(down.toMillis());
      startAgain();
    }

    /** The words of a {@code postmaster.opts} line: the binary, then each argument in quotes. */
    static List<String> commandLine(String opts) {
      List<String> words = new ArrayList<>();
      StringBuilder word = new StringBuilder();
      boolean quoted = false;
      boolean inWord = false;
      for (int i = 0; i < opts.length(); i++) {
        char ch = opts.charAt(i);
        if (ch == '"') {
          quoted = !quoted;
          inWord = true;
        } else if (Character.isWhitespace(ch) && !quoted) {
          if (inWord) {
            words.add(word.toString());
            word.setLength(0);
            inWord = false;
          }
        } else {
          word.append(ch);
          inWord = true;
        }
      }
      if (inWord) {
        words.add(word.toString());
      }
      return words;
    }

    private static void signal(long pid, String name) {
      try {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
        if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
          throw new IllegalStateException("kill -" + name + " " + pid + " failed");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** Stops the server. */
    @Override
    public void close() {
      try {
        pg.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
