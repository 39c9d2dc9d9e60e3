package io.syncforge.devinfra;

import io.syncforge.devinfra.LocalStack.Service;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ./sync-stack} in Java: the script only builds when needed and then runs this class.
 *
 * <pre>
 * up [--fresh] [--build]                  start everything; Ctrl-C or SIGTERM stops it all
 * token --tenant T --user U [--admin]     print a device token (and nothing else)
 * status                                  which pieces run (pid, port, ready)
 * logs SERVICE [-f|--follow] [-n LINES]   the last lines of a log (postgres, kafka, or a service)
 * </pre>
 *
 * <p>Environment: {@code SYNC_API_PORT} (8080), {@code SYNC_CHANGELOG_PORT} (8081), {@code
 * SYNC_MEDIA_PORT} (8082), {@code SYNC_PG_PORT} (15432), {@code SYNC_KAFKA_PORT} (19092), {@code
 * SYNC_PARTITIONS} (12), {@code SYNC_STACK_HOME} ({@code .local} under the repository root, where
 * data, keys, logs and the state file live). The repository root is the system property {@code
 * syncforge.root} (the script passes it). Exit status: 0, 1 (something failed or is not ready), 2
 * (usage), 3 ({@code status}: nothing runs).
 */
public final class LocalStackMain {

  static final String USAGE =
      "usage: ./sync-stack up [--fresh] [--build]\n"
          + "       ./sync-stack token --tenant T --user U [--admin]\n"
          + "       ./sync-stack status\n"
          + "       ./sync-stack logs SERVICE [-f|--follow] [-n LINES]"
          + "   (SERVICE: postgres, kafka, change-log-service, sync-api, media-service)";

  /** Names {@code logs} accepts besides the service modules. */
  static final List<String> INFRA_LOGS = List.of("postgres", "kafka");

  /** A bad command line or environment; the message says what, {@code main} exits with 2. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  /** A parsed command line. */
  sealed interface Command {}

  /** {@code up}; {@code build} is handled by the script (it builds before starting Java). */
  record Up(boolean fresh, boolean build) implements Command {}

  /** {@code token}. */
  record Token(String tenant, String user, boolean admin) implements Command {}

  /** {@code status}. */
  record Status() implements Command {}

  /** {@code logs}. */
  record Logs(String piece, boolean follow, int lines) implements Command {}

  /**
   * The environment's settings, defaults applied.
   *
   * @param home data, keys, logs and the state file
   */
  record Settings(
      Path home,
      int apiPort,
      int changelogPort,
      int mediaPort,
      int pgPort,
      int kafkaPort,
      int partitions) {}

  private LocalStackMain() {}

  /** Parses the command line. */
  static Command parse(String... args) throws UsageException {
    if (args.length == 0) {
      throw new UsageException("no command");
    }
    Deque<String> rest = new ArrayDeque<>(List.of(args).subList(1, args.length));
    switch (args[0]) {
      case "up" -> {
        boolean fresh = false;
        boolean build = false;
        while (!rest.isEmpty()) {
          String a = rest.pop();
          switch (a) {
            case "--fresh" -> fresh = true;
            case "--build" -> build = true;
            default -> throw new UsageException("unknown flag for up: " + a);
          }
        }
        return new Up(fresh, build);
      }
      case "token" -> {
        String tenant = null;
        String user = null;
        boolean admin = false;
        while (!rest.isEmpty()) {
          String a = rest.pop();
          switch (a) {
            case "--tenant" -> tenant = value(a, rest);
            case "--user" -> user = value(a, rest);
            case "--admin" -> admin = true;
            default -> throw new UsageException("unknown flag for token: " + a);
          }
        }
        if (tenant == null || user == null) {
          throw new UsageException("token needs --tenant T --user U");
        }
        return new Token(tenant, user, admin);
      }
      case "status" -> {
        if (!rest.isEmpty()) {
          throw new UsageException("status takes no arguments: " + rest.peek());
        }
        return new Status();
      }
      case "logs" -> {
        String piece = null;
        boolean follow = false;
        int lines = 50;
        while (!rest.isEmpty()) {
          String a = rest.pop();
          switch (a) {
            case "-f", "--follow" -> follow = true;
            case "-n", "--lines" -> lines = number(a, value(a, rest), 0, 1_000_000);
            default -> {
              if (a.startsWith("-") || piece != null) {
                throw new UsageException("unexpected argument for logs: " + a);
              }
              piece = a;
            }
          }
        }
        if (piece == null) {
          throw new UsageException("logs needs a SERVICE");
        }
        if (!INFRA_LOGS.contains(piece)) {
          try {
            Service.of(piece);
          } catch (IllegalArgumentException e) {
            throw new UsageException(
                "unknown service '"
                    + piece
                    + "' (postgres, kafka, change-log-service, sync-api, media-service)");
          }
        }
        return new Logs(piece, follow, lines);
      }
      default -> throw new UsageException("unknown command: " + args[0]);
    }
  }

  /** Reads the environment ({@code SYNC_*}), applying the defaults. */
  static Settings settings(Map<String, String> env, Path root) throws UsageException {
    String home = env.getOrDefault("SYNC_STACK_HOME", "");
    return new Settings(
        home.isEmpty() ? root.resolve(".local") : Path.of(home).toAbsolutePath().normalize(),
        port(env, "SYNC_API_PORT", 8080),
        port(env, "SYNC_CHANGELOG_PORT", 8081),
        port(env, "SYNC_MEDIA_PORT", 8082),
        port(env, "SYNC_PG_PORT", 15432),
        port(env, "SYNC_KAFKA_PORT", 19092),
        intValue(
            env,
            "SYNC_PARTITIONS",
            io.syncforge.protocol.messaging.Topics.DEFAULT_PARTITIONS,
            1,
            10_000));
  }

  /** The log file of a piece. */
  static Path logFile(Path home, String piece) {
    return INFRA_LOGS.contains(piece)
        ? home.resolve(piece + ".log")
        : home.resolve("logs").resolve(piece + ".log");
  }

  private static String value(String flag, Deque<String> rest) throws UsageException {
    if (rest.isEmpty()) {
      throw new UsageException(flag + " needs a value");
    }
    return rest.pop();
  }

  private static int port(Map<String, String> env, String name, int dflt) throws UsageException {
    return intValue(env, name, dflt, 1, 65_535);
  }

  private static int intValue(Map<String, String> env, String name, int dflt, int min, int max)
      throws UsageException {
    String v = env.get(name);
    return v == null || v.isEmpty() ? dflt : number(name, v, min, max);
  }

  private static int number(String name, String v, int min, int max) throws UsageException {
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new UsageException(
        name + " must be a number from " + min + " to " + max + ", not '" + v + "'");
  }

  /** Entry point; see the class comment. */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("syncforge.root", ".")).toAbsolutePath().normalize();
    Command command;
    Settings settings;
    try {
      command = parse(args);
      settings = settings(System.getenv(), root);
    } catch (UsageException e) {
      System.err.println("sync-stack: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    int status;
    if (command instanceof Token t) {
      System.out.println(
          DevJwt.inDirectory(settings.home().resolve("jwt"))
              .token(t.tenant(), t.user(), t.admin()));
      status = 0;
    } else if (command instanceof Status) {
      status = StackState.printStatus(settings.home(), System.out);
    } else if (command instanceof Logs l) {
      status = logs(settings.home(), l, System.out);
    } else {
      status = up(root, settings, (Up) command);
    }
    System.out.flush();
    System.exit(status);
  }

  private static void say(String message) {
    System.err.println("sync-stack: " + message);
  }

  private static volatile LocalStack running;
  private static volatile boolean stopping;

  private static int up(Path root, Settings s, Up command) throws InterruptedException {
    Thread stopper =
        new Thread(
            () -> {
              stopping = true;
              LocalStack stack = running;
              say("stopping");
              if (stack != null) {
                stack.close();
              } else {
                // Stopped while starting: whatever was started already goes with us.
                ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
              }
              say("stopped");
            },
            "sync-stack-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    if (command.fresh()) {
      say("--fresh: wiping data under " + display(root, s.home()));
    }
    LocalStack stack;
    try {
      stack =
          LocalStack.builder()
              .root(root)
              .home(s.home())
              .fresh(command.fresh())
              .partitions(s.partitions())
              .postgresPort(s.pgPort())
              .kafkaPort(s.kafkaPort())
              .port(Service.API, s.apiPort())
              .port(Service.CHANGELOG, s.changelogPort())
              .port(Service.MEDIA, s.mediaPort())
              .start();
    } catch (RuntimeException e) {
      say(e.getMessage() + "; logs under " + display(root, s.home().resolve("logs")));
      return 1;
    }
    running = stack;
    say("PostgreSQL " + stack.jdbcUrl() + ", Kafka " + stack.bootstrapServers());
    for (Service svc : Service.values()) {
      say(svc.module() + " ready on " + stack.url(svc));
    }
    PrintStream out = System.out;
    out.println();
    out.println("SyncForge is running (Ctrl-C stops everything):");
    out.printf("  sync-api            %s      (push, pull, snapshot)%n", stack.apiUrl());
    out.printf("  change-log-service  %s      (admin API)%n", stack.changelogUrl());
    out.printf("  media-service       %s      (files)%n", stack.mediaUrl());
    out.printf("  PostgreSQL          %s (user postgres)%n", stack.jdbcUrl());
    out.printf("  Kafka               %s%n", stack.bootstrapServers());
    out.printf("  logs                %s/%n", display(root, s.home().resolve("logs")));
    out.println();
    out.println(
        "A device token for tenant t1, user alice (./sync-stack token --tenant t1 --user alice):");
    out.println(stack.token("t1", "alice"));
    out.println();
    out.println("READY");
    out.flush();
    // Run until stopped (the shutdown hook) or until a piece dies.
    while (true) {
      Optional<String> dead = stopping ? Optional.empty() : firstDead(stack);
      if (dead.isPresent()) {
        say(dead.get() + " exited; see " + display(root, s.home().resolve("logs")) + "/");
        return 1;
      }
      Thread.sleep(500);
    }
  }

  private static Optional<String> firstDead(LocalStack stack) {
    if (!StackState.alive(stack.postgres().pid())) {
      return Optional.of("PostgreSQL");
    }
    if (!StackState.alive(stack.kafka().pid())) {
      return Optional.of("Kafka");
    }
    for (Service svc : Service.values()) {
      if (!stack.isAlive(svc)) {
        return Optional.of(svc.module());
      }
    }
    return Optional.empty();
  }

  /** A path relative to the repository root when it lies below it (as the docs write it). */
  static String display(Path root, Path p) {
    return p.startsWith(root) ? root.relativize(p).toString() : p.toString();
  }

  /** Prints the last {@code lines} lines of a piece's log, then follows it if asked. */
  static int logs(Path home, Logs command, PrintStream out)
      throws IOException, InterruptedException {
    Path file = logFile(home, command.piece());
    if (!Files.isRegularFile(file)) {
      System.err.println("sync-stack: no log yet: " + file);
      return 1;
    }
    long offset;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      offset = tailStart(f, command.lines());
      offset = copy(f, offset, out);
    }
    while (command.follow()) {
      Thread.sleep(250);
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
        if (f.length() < offset) {
          offset = 0; // truncated (a --fresh restart): start over
        }
        offset = copy(f, offset, out);
      }
    }
    return 0;
  }

  /** The offset where the last {@code lines} lines of the file begin. */
  static long tailStart(RandomAccessFile f, int lines) throws IOException {
    long pos = f.length();
    if (lines == 0) {
      return pos;
    }
    int newlines = 0;
    byte[] buf = new byte[8192];
    // A final newline ends the last line; it does not start another.
    long end = pos;
    while (pos > 0) {
      int n = (int) Math.min(buf.length, pos);
      pos -= n;
      f.seek(pos);
      f.readFully(buf, 0, n);
      for (int i = n - 1; i >= 0; i--) {
        if (buf[i] == '\n' && pos + i != end - 1 && ++newlines == lines) {
          return pos + i + 1;
        }
      }
    }
    return 0;
  }

  private static long copy(RandomAccessFile f, long from, PrintStream out) throws IOException {
    long len = f.length();
    if (len <= from) {
      return from;
    }
    f.seek(from);
    byte[] buf = new byte[8192];
    long pos = from;
    while (pos < len) {
      int n = f.read(buf, 0, (int) Math.min(buf.length, len - pos));
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      pos += n;
    }
    out.flush();
    return pos;
  }
}
