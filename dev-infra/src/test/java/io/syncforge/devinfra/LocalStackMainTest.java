package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.devinfra.LocalStackMain.Logs;
import io.syncforge.devinfra.LocalStackMain.Settings;
import io.syncforge.devinfra.LocalStackMain.Status;
import io.syncforge.devinfra.LocalStackMain.Token;
import io.syncforge.devinfra.LocalStackMain.Up;
import io.syncforge.devinfra.LocalStackMain.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStackMainTest {

  @TempDir Path dir;

  @Test
  void parsesEveryCommandAndFlag() throws Exception {
    assertEquals(new Up(false, false), LocalStackMain.parse("up"));
    assertEquals(new Up(true, true), LocalStackMain.parse("up", "--build", "--fresh"));
    assertEquals(
        new Token("t1", "u1", false),
        LocalStackMain.parse("token", "--tenant", "t1", "--user", "u1"));
    assertEquals(
        new Token("t1", "ops", true),
        LocalStackMain.parse("token", "--admin", "--user", "ops", "--tenant", "t1"));
    assertEquals(new Status(), LocalStackMain.parse("status"));
    assertEquals(new Logs("sync-api", false, 50), LocalStackMain.parse("logs", "sync-api"));
    assertEquals(
        new Logs("kafka", true, 10), LocalStackMain.parse("logs", "-f", "kafka", "-n", "10"));
    assertEquals(
        new Logs("postgres", true, 0),
        LocalStackMain.parse("logs", "postgres", "--follow", "--lines", "0"));
  }

  @Test
  void refusesBadCommandLinesWithAMessage() {
    for (String[] bad :
        new String[][] {
          {},
          {"down"},
          {"up", "--fast"},
          {"token", "--tenant", "t1"},
          {"token", "--tenant"},
          {"token", "--tenant", "t1", "--user", "u", "--root"},
          {"status", "now"},
          {"logs"},
          {"logs", "nginx"},
          {"logs", "sync-api", "media-service"},
          {"logs", "sync-api", "-n", "many"},
          {"logs", "sync-api", "-n", "-1"},
        }) {
      UsageException e = assertThrows(UsageException.class, () -> LocalStackMain.parse(bad));
      assertTrue(!e.getMessage().isBlank(), String.join(" ", bad));
    }
  }

  @Test
  void environmentDefaultsAreTheDocumentedPorts() throws Exception {
    Path root = dir.resolve("repo");
    assertEquals(
        new Settings(root.resolve(".local"), 8080, 8081, 8082, 15432, 19092, 12),
        LocalStackMain.settings(Map.of(), root));
    assertEquals(
        new Settings(dir.resolve("h"), 9080, 9081, 9082, 25432, 29092, 4),
        LocalStackMain.settings(
            Map.of(
                "SYNC_STACK_HOME", dir.resolve("h").toString(),
                "SYNC_API_PORT", "9080",
                "SYNC_CHANGELOG_PORT", "9081",
                "SYNC_MEDIA_PORT", "9082",
                "SYNC_PG_PORT", "25432",
                "SYNC_KAFKA_PORT", "29092",
                "SYNC_PARTITIONS", "4"),
            root));
    assertThrows(
        UsageException.class, () -> LocalStackMain.settings(Map.of("SYNC_API_PORT", "http"), root));
    assertThrows(
        UsageException.class, () -> LocalStackMain.settings(Map.of("SYNC_PG_PORT", "70000"), root));
    assertThrows(
        UsageException.class, () -> LocalStackMain.settings(Map.of("SYNC_PARTITIONS", "0"), root));
  }

  @Test
  void logsPrintsTheLastLinesOfTheRightFile() throws Exception {
    Path home = dir.resolve("home");
    assertEquals(home.resolve("logs/sync-api.log"), LocalStackMain.logFile(home, "sync-api"));
    assertEquals(home.resolve("postgres.log"), LocalStackMain.logFile(home, "postgres"));
    assertEquals(home.resolve("kafka.log"), LocalStackMain.logFile(home, "kafka"));

    Path log = LocalStackMain.logFile(home, "sync-api");
    Files.createDirectories(log.getParent());
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 3000; i++) {
      text.append("line ").append(i).append('\n');
    }
    Files.writeString(log, text);
    assertEquals("line 2998\nline 2999\nline 3000\n", logs(home, new Logs("sync-api", false, 3)));
    assertEquals(text.toString(), logs(home, new Logs("sync-api", false, 5000)));
    assertEquals("", logs(home, new Logs("sync-api", false, 0)));
    Files.writeString(log, "no newline at the end\nlast");
    assertEquals("last", logs(home, new Logs("sync-api", false, 1)));
  }

  private static String logs(Path home, Logs command) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(0, LocalStackMain.logs(home, command, new PrintStream(bytes, true, "UTF-8")));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void displaysPathsBelowTheRootRelatively() {
    Path root = dir.resolve("repo");
    assertEquals(".local/logs", LocalStackMain.display(root, root.resolve(".local/logs")));
    assertEquals(dir.resolve("x").toString(), LocalStackMain.display(root, dir.resolve("x")));
  }
}
