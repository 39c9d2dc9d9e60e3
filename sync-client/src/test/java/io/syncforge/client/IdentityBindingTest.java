package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 7: one database, one identity. A file is bound to (server, tenant, user) at first
 * use; another identity is a clear error until the app wipes the file.
 */
class IdentityBindingTest {
  @TempDir Path dir;

  static String jwt(String tenant, String user) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String claims =
        "{\"sub\":\""
            + user
            + "\""
            + (tenant == null ? "" : ",\"tenant\":\"" + tenant + "\"")
            + "}";
    return b.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + ".sig";
  }

  private SyncClient open(String url, String token) {
    return SyncClient.builder().baseUrl(url).database(dir.resolve("app.db")).token(token).build();
  }

  @Test
  void anotherUsersTokenCannotOpenTheFileUntilItIsWiped() {
    try (SyncClient c = open("http://sync.example:8080", jwt("t1", "alice"))) {
      c.collection("notes").put("n1", Map.of("secret", "alice's"));
    }
    IdentityMismatchException e =
        assertThrows(
            IdentityMismatchException.class,
            () -> open("http://sync.example:8080", jwt("t1", "bob")));
    assertTrue(e.getMessage().contains("user=alice"), e.getMessage());
    assertTrue(e.getMessage().contains("wipe"), "says how to start over: " + e.getMessage());
    assertThrows(
        IdentityMismatchException.class,
        () -> open("http://sync.example:8080", jwt("t2", "alice")));
    // The same account again (a refreshed token, a trailing slash) is the same identity.
    try (SyncClient c = open("http://SYNC.example:8080/", jwt("t1", "alice"))) {
      assertEquals(1, c.status().pendingCount(), "alice's queue is intact");
    }
    // The same account on a moved server keeps its queue and re-reads server state.
    try (SyncClient c = open("http://other.example:8080", jwt("t1", "alice"))) {
      assertEquals(1, c.status().pendingCount(), "alice's queue moves with her");
      assertTrue(c.store().meta("needs_snapshot").isPresent(), "server state is re-read");
    }
    assertThrows(
        IdentityMismatchException.class, () -> open("http://other.example:8080", jwt("t1", "bob")));

    assertTrue(SyncClient.wipe(dir.resolve("app.db")));
    assertFalse(Files.exists(dir.resolve("app.db")));
    try (SyncClient c = open("http://sync.example:8080", jwt("t1", "bob"))) {
      assertEquals(0, c.status().pendingCount(), "bob starts empty");
      assertTrue(c.collection("notes").get("n1").isEmpty(), "and never sees alice's data");
    }
  }

  @Test
  void setTokenRefusesAnotherAccountAndAcceptsARefresh() {
    try (SyncClient c = open("http://sync.example:8080", jwt("t1", "alice"))) {
      c.setToken(jwt("t1", "alice")); // refresh
      assertThrows(IdentityMismatchException.class, () -> c.setToken(jwt("t1", "mallory")));
    }
  }

  @Test
  void anOpaqueTokenBindsWhatIsKnownAndTheFirstJwtFillsTheRest() {
    try (SyncClient c = open("http://sync.example:8080", "opaque-token")) {
      c.setToken(jwt("t1", "alice"));
    }
    assertThrows(
        IdentityMismatchException.class, () -> open("http://sync.example:8080", jwt("t1", "bob")));
    try (SyncClient c =
        SyncClient.builder()
            .baseUrl("http://sync.example:8080")
            .database(dir.resolve("app.db"))
            .token("another-opaque-token")
            .identity("t1", "alice")
            .build()) {
      assertEquals(0, c.status().pendingCount());
    }
  }
}
