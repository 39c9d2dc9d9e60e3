package io.syncforge.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.client.Collection;
import io.syncforge.client.ErrorClass;
import io.syncforge.client.MediaSync;
import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncRecord;
import io.syncforge.client.SyncResult;
import io.syncforge.client.SyncStatus;
import io.syncforge.protocol.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Command-line app over {@link SyncClient}, for demos, manual testing and scripts. Every command
 * prints JSON lines on stdout (errors as one {@code {"error":...}} line on stderr) and exits with a
 * stable code: {@value #OK} ok, {@value #USAGE} usage, {@value #NOT_FOUND} not found, {@value
 * #RETRYABLE} network/retryable, {@value #AUTH} auth, {@value #PERMANENT} server/permanent.
 */
public final class SyncCli {
  /** Success. */
  public static final int OK = 0;

  /** Bad arguments. */
  public static final int USAGE = 1;

  /** The record (or file) does not exist. */
  public static final int NOT_FOUND = 2;

  /** Network error, timeout, 429 or 5xx: retry later. */
  public static final int RETRYABLE = 3;

  /** 401: provide a valid token. */
  public static final int AUTH = 4;

  /** Any other server error, or a local failure. */
  public static final int PERMANENT = 5;

  static final String USAGE_TEXT =
      """
      usage: sync-cli [--db FILE] [--api URL] [--media URL] [--token JWT] COMMAND
        put <collection> <id> <json>    create or replace a record
        patch <collection> <id> <json>  change fields (null removes a field)
        delete <collection> <id>        delete a record
        get <collection> <id>           print a record (exit 2 if absent)
        list <collection>               print every record, one per line
        sync                            push, pull, media; print the result
        status                          print the sync status
        media add <file> [type]         attach a file, print its sha256
        media sync                      upload and download media now
      environment: SYNC_DB (default sync.db), SYNC_API_URL (default http://localhost:8080),
        SYNC_MEDIA_URL (default http://localhost:8082), SYNC_TOKEN
      exit codes: 0 ok, 1 usage, 2 not found, 3 network/retryable, 4 auth, 5 server/permanent""";

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> env;
  private final ObjectMapper mapper = Json.newMapper();

  SyncCli(PrintStream out, PrintStream err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  /** Runs one command and exits with its code. */
  public static void main(String[] args) {
    int code = new SyncCli(System.out, System.err, System.getenv()).run(args);
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command; returns the exit code. */
  int run(String[] args) {
    String db = env.getOrDefault("SYNC_DB", "sync.db");
    String api = env.getOrDefault("SYNC_API_URL", "http://localhost:8080");
    String media = env.getOrDefault("SYNC_MEDIA_URL", "http://localhost:8082");
    String token = env.get("SYNC_TOKEN");
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        out.println(USAGE_TEXT);
        return OK;
      }
      if (a.startsWith("--") && List.of("--db", "--api", "--media", "--token").contains(a)) {
        if (i + 1 >= args.length) {
          return usage("missing value for " + a);
        }
        String v = args[++i];
        switch (a) {
          case "--db" -> db = v;
          case "--api" -> api = v;
          case "--media" -> media = v;
          default -> token = v;
        }
      } else if (a.startsWith("--")) {
        return usage("unknown option " + a);
      } else {
        rest.add(a);
      }
    }
    if (rest.isEmpty()) {
      return usage("missing command");
    }
    if (rest.get(0).equals("wipe")) {
      // Before opening: a database bound to another account cannot be opened, only wiped.
      boolean wiped = SyncClient.wipe(Path.of(db));
      print(ordered("db", db, "wiped", wiped));
      return OK;
    }
    SyncClient.Builder b =
        SyncClient.builder()
            .baseUrl(api)
            .mediaUrl(media)
            .database(Path.of(db))
            .callbackExecutor(Runnable::run);
    if (token != null && !token.isEmpty()) {
      b.token(token);
    }
    try (SyncClient client = b.build()) {
      return command(client, rest);
    } catch (IllegalArgumentException e) {
      return fail(USAGE, "invalid_argument", e.getMessage());
    } catch (NoSuchElementException e) {
      return fail(NOT_FOUND, "not_found", e.getMessage());
    } catch (IOException e) {
      return fail(PERMANENT, "io_error", e.getMessage());
    } catch (io.syncforge.client.IdentityMismatchException e) {
      return fail(PERMANENT, "identity_mismatch", e.getMessage());
    } catch (RuntimeException e) {
      return fail(PERMANENT, "local_error", String.valueOf(e.getMessage()));
    }
  }

  private int command(SyncClient client, List<String> a) throws IOException {
    String cmd = a.get(0);
    switch (cmd) {
      case "put", "patch" -> {
        if (a.size() != 4) {
          return usage(cmd + " needs <collection> <id> <json>");
        }
        ObjectNode data = parseObject(a.get(3));
        if (data == null) {
          return usage("<json> must be a JSON object");
        }
        Collection c = client.collection(a.get(1));
        SyncRecord r = cmd.equals("put") ? c.put(a.get(2), data) : c.patch(a.get(2), data);
        print(record(r));
        return OK;
      }
      case "delete" -> {
        if (a.size() != 3) {
          return usage("delete needs <collection> <id>");
        }
        boolean deleted = client.collection(a.get(1)).delete(a.get(2));
        if (!deleted) {
          return fail(NOT_FOUND, "not_found", a.get(1) + "/" + a.get(2) + " not found");
        }
        print(ordered("collection", a.get(1), "id", a.get(2), "deleted", true));
        return OK;
      }
      case "get" -> {
        if (a.size() != 3) {
          return usage("get needs <collection> <id>");
        }
        Optional<SyncRecord> r = client.collection(a.get(1)).get(a.get(2));
        if (r.isEmpty()) {
          return fail(NOT_FOUND, "not_found", a.get(1) + "/" + a.get(2) + " not found");
        }
        print(record(r.get()));
        return OK;
      }
      case "list" -> {
        if (a.size() != 2) {
          return usage("list needs <collection>");
        }
        for (SyncRecord r : client.collection(a.get(1)).list()) {
          print(record(r));
        }
        return OK;
      }
      case "sync" -> {
        if (a.size() != 1) {
          return usage("sync takes no arguments");
        }
        return result(client.sync());
      }
      case "status" -> {
        if (a.size() != 1) {
          return usage("status takes no arguments");
        }
        print(status(client.status(), client.clientId()));
        return OK;
      }
      case "media" -> {
        if (a.size() >= 3 && a.get(1).equals("add") && a.size() <= 4) {
          Path file = Path.of(a.get(2));
          if (!java.nio.file.Files.isRegularFile(file)) {
            return fail(NOT_FOUND, "not_found", "no such file: " + file);
          }
          String sha = client.media().attach(file, a.size() == 4 ? a.get(3) : null);
          print(ordered("sha256", sha, "path", client.media().file(sha).orElseThrow().toString()));
          return OK;
        }
        if (a.size() == 2 && a.get(1).equals("sync")) {
          // A progress line on stderr when a file starts or ends, and at most every 250 ms while
          // bytes move (stdout keeps exactly the one result line).
          long[] lastLine = {0, -1};
          io.syncforge.client.MediaProgressListener progress =
              p -> {
                long now = System.nanoTime();
                int settled = p.filesDone() + p.filesFailed();
                if (p.files().isEmpty()
                    || (settled == lastLine[1] && now - lastLine[0] < 250_000_000L)) {
                  return;
                }
                lastLine[0] = now;
                lastLine[1] = settled;
                err.println(progressLine(p));
              };
          client.media().addProgressListener(progress);
          MediaSync.Result r;
          try {
            r = client.media().sync();
          } finally {
            client.media().removeProgressListener(progress);
          }
          print(
              ordered(
                  "downloaded", r.downloaded(), "uploaded", r.uploaded(), "failed", r.failed()));
          return r.failed() > 0 ? RETRYABLE : OK;
        }
        return usage("media add <file> [type] | media sync");
      }
      default -> {
        return usage("unknown command " + cmd);
      }
    }
  }

  private ObjectNode parseObject(String json) {
    try {
      JsonNode n = mapper.readTree(json);
      return n instanceof ObjectNode o ? o : null;
    } catch (IOException e) {
      return null;
    }
  }

  private int result(SyncResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", r.getClass().getSimpleName());
    if (r instanceof SyncResult.Success s) {
      m.put("pushed", s.pushed());
      m.put("settled", s.settled());
      m.put("pulled", s.pulled());
      m.put("conflicts", s.conflicts());
      m.put("rejected", s.rejected());
      m.put("stillPending", s.stillPending());
      m.put("mediaDownloaded", s.mediaDownloaded());
      m.put("mediaUploaded", s.mediaUploaded());
      m.put("mediaFailed", s.mediaFailed());
      m.put("snapshotReset", s.snapshotReset());
      m.put("serverTime", s.serverTime() == null ? null : s.serverTime().toString());
      print(m);
      return OK;
    }
    if (r instanceof SyncResult.NetworkError n) {
      m.put("message", n.message());
      print(m);
      return RETRYABLE;
    }
    if (r instanceof SyncResult.AuthError au) {
      m.put("message", au.message());
      print(m);
      return AUTH;
    }
    SyncResult.ServerError se = (SyncResult.ServerError) r;
    m.put("status", se.status());
    m.put("code", se.code());
    m.put("message", se.message());
    m.put("class", se.classification().name().toLowerCase(java.util.Locale.ROOT));
    print(m);
    return se.classification() == ErrorClass.RETRYABLE ? RETRYABLE : PERMANENT;
  }

  /**
   * {@code {"progress":{"files":3,"filesDone":1,"filesFailed":0,"bytesDone":..,"bytesTotal":..}}}.
   */
  String progressLine(io.syncforge.client.MediaProgress p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("files", p.files().size());
    m.put("filesDone", p.filesDone());
    m.put("filesFailed", p.filesFailed());
    m.put("bytesDone", p.bytesDone());
    m.put("bytesTotal", p.bytesTotal());
    try {
      return mapper.writeValueAsString(Map.of("progress", m));
    } catch (java.io.IOException e) {
      return "{\"progress\":null}";
    }
  }

  private Map<String, Object> status(SyncStatus s, String clientId) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clientId", clientId);
    m.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
    m.put("lastSuccess", s.lastSuccess() == null ? null : s.lastSuccess().toString());
    m.put("pendingCount", s.pendingCount());
    m.put("oldestPendingAgeSeconds", s.oldestPendingAge().toSeconds());
    m.put("lastError", s.lastError());
    m.put(
        "lastErrorClass",
        s.lastErrorClass() == null
            ? null
            : s.lastErrorClass().name().toLowerCase(java.util.Locale.ROOT));
    m.put("firstSyncRecords", s.firstSyncRecords());
    m.put("firstSyncTotal", s.firstSyncTotal());
    return m;
  }

  private Map<String, Object> record(SyncRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("collection", r.collection());
    m.put("id", r.id());
    m.put("version", r.version());
    m.put("pending", r.pending());
    m.put("data", r.data());
    return m;
  }

  private void print(Object value) {
    try {
      out.println(mapper.writeValueAsString(value));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private int usage(String message) {
    err.println(message);
    err.println(USAGE_TEXT);
    return USAGE;
  }

  private int fail(int code, String kind, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", kind);
    m.put("message", message);
    try {
      err.println(mapper.writeValueAsString(m));
    } catch (IOException e) {
      err.println(message);
    }
    return code;
  }

  /** Keys in the given order: output that scripts (and the tested README) can rely on. */
  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
