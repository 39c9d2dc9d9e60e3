package io.syncforge.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Problem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncCliTest {
  @TempDir Path dir;
  String stdout;
  String stderr;

  int run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> e = new HashMap<>(env);
    e.putIfAbsent("SYNC_DB", dir.resolve("cli.db").toString());
    int code =
        new SyncCli(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                e)
            .run(args);
    stdout = out.toString(StandardCharsets.UTF_8);
    stderr = err.toString(StandardCharsets.UTF_8);
    return code;
  }

  int run(String... args) {
    return run(Map.of(), args);
  }

  @Test
  void localCommandsAndTheirExitCodes() throws Exception {
    assertEquals(0, run("put", "tasks", "t-1", "{\"title\":\"a\",\"n\":1}"));
    assertEquals(0, run("patch", "tasks", "t-1", "{\"n\":2}"));
    assertEquals(0, run("get", "tasks", "t-1"));
    JsonNode rec = Json.newMapper().readTree(stdout);
    assertEquals(2, rec.get("data").get("n").asInt());
    assertTrue(rec.get("pending").asBoolean());
    assertEquals(0, run("put", "tasks", "t-2", "{}"));
    assertEquals(0, run("list", "tasks"));
    assertEquals(2, stdout.strip().split("\n").length);
    assertEquals(0, run("delete", "tasks", "t-2"));
    assertEquals(2, run("get", "tasks", "t-2"));
    assertEquals(2, run("delete", "tasks", "t-2"));
    assertEquals(2, run("patch", "tasks", "nope", "{\"a\":1}"));
    assertEquals(1, run("put", "tasks", "t-3", "not json"));
    assertEquals(1, run("put", "Bad-Collection", "t-3", "{}"));
    assertEquals(1, run("frobnicate"));
    assertEquals(1, run());
    assertEquals(0, run("status"));
    assertEquals(2, Json.newMapper().readTree(stdout).get("pendingCount").asInt());
    Path f = dir.resolve("a.txt");
    Files.writeString(f, "hello");
    assertEquals(0, run("media", "add", f.toString()));
    assertEquals(64, Json.newMapper().readTree(stdout).get("sha256").asText().length());
    assertEquals(2, run("media", "add", dir.resolve("missing").toString()));
  }

  @Test
  void syncExitCodes() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    assertEquals(0, run("put", "tasks", "t-1", "{}"));
    assertEquals(3, run("--api", "http://127.0.0.1:" + dead, "sync"));
    assertTrue(stdout.contains("NetworkError"), stdout);

    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          byte[] b =
              Json.newMapper()
                  .writeValueAsBytes(Problem.of(ErrorCode.UNAUTHORIZED, "bad token", "t"));
          ex.sendResponseHeaders(401, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      assertEquals(4, run(Map.of("SYNC_API_URL", url, "SYNC_TOKEN", "x"), "sync"));
      assertTrue(stdout.contains("AuthError"), stdout);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void mediaSyncPrintsProgressLinesOnStderrAndOneResultOnStdout() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/media",
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.sendResponseHeaders(201, -1);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      Path f = dir.resolve("photo.bin");
      Files.write(f, new byte[200_000]);
      assertEquals(0, run("media", "add", f.toString()));
      assertEquals(0, run(Map.of("SYNC_MEDIA_URL", url), "media", "sync"));
      assertEquals(1, Json.newMapper().readTree(stdout).get("uploaded").asInt(), stdout);
      String[] lines = stderr.strip().split("\n");
      JsonNode first = Json.newMapper().readTree(lines[0]).get("progress");
      JsonNode last = Json.newMapper().readTree(lines[lines.length - 1]).get("progress");
      assertEquals(1, first.get("files").asInt(), stderr);
      assertEquals(0, first.get("filesDone").asInt(), stderr);
      assertEquals(1, last.get("filesDone").asInt(), stderr);
      assertEquals(200_000, last.get("bytesTotal").asLong(), stderr);
      assertEquals(200_000, last.get("bytesDone").asLong(), stderr);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void anotherAccountsTokenIsAnIdentityMismatchUntilWiped() {
    String alice = jwt("t1", "alice");
    String bob = jwt("t1", "bob");
    assertEquals(0, run("--token", alice, "put", "tasks", "t-1", "{\"title\":\"a\"}"));
    assertEquals(5, run("--token", bob, "get", "tasks", "t-1"));
    assertTrue(stderr.contains("identity_mismatch"), stderr);
    assertEquals(0, run("wipe"));
    assertTrue(stdout.contains("\"wiped\":true"), stdout);
    assertEquals(2, run("--token", bob, "get", "tasks", "t-1"), "bob starts empty");
  }

  static String jwt(String tenant, String user) {
    java.util.Base64.Encoder b = java.util.Base64.getUrlEncoder().withoutPadding();
    String claims = "{\"sub\":\"" + user + "\",\"tenant\":\"" + tenant + "\"}";
    return b.encodeToString("{}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + ".sig";
  }
}
