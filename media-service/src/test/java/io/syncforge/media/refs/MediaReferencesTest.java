package io.syncforge.media.refs;

import static io.syncforge.media.MediaTestSupport.adminToken;
import static io.syncforge.media.MediaTestSupport.assertMayNotDelete;
import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.delete;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.fetch;
import static io.syncforge.media.MediaTestSupport.fetchMeta;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.queryLong;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.media.gc.BlobCollector;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Issue 14, item 1: a file is kept while any user of the tenant references it. */
@QuarkusTest
@WithDevInfra
class MediaReferencesTest {

  @Inject BlobCollector collector;

  /** The report of the issue: user 1 deletes, user 2's file must still answer and stay. */
  @Test
  void oneUsersDeleteKeepsTheFileOfAnotherUserOfTheTenant() throws Exception {
    String tenant = newTenant();
    String user1 = token(tenant, "user1");
    String user2 = token(tenant, "user2");
    byte[] photo = content(20_000);
    String sha = sha256(photo);
    upload(user1, photo).then().statusCode(201);
    upload(user2, photo).then().statusCode(200);

    delete(user1, sha).then().statusCode(204);

    assertArrayEquals(photo, download(user2, sha));
    collector.collect(Instant.now().plusSeconds(3600));
    assertTrue(Files.exists(blobPath(sha)), "bytes removed while user2 references them");
    fetch(user2, sha).then().statusCode(200);

    // The last reference goes: now the tenant's metadata goes, and the bytes after the grace.
    delete(user2, sha).then().statusCode(204);
    fetchMeta(user2, sha).then().statusCode(404);
    collector.collect(Instant.now().plusSeconds(3600));
    assertFalse(Files.exists(blobPath(sha)));
  }

  @Test
  void aUserWithoutAReferenceCannotDeleteAndAnAdminRemovesAllOfTheTenant() throws Exception {
    String tenant = newTenant();
    byte[] bytes = content(300);
    String sha = sha256(bytes);
    upload(token(tenant, "alice"), bytes).then().statusCode(201);
    upload(token(tenant, "bob"), bytes).then().statusCode(200);

    // carol holds no reference: she cannot remove anybody else's.
    assertMayNotDelete(token(tenant, "carol"), sha);
    // A delete twice: the second finds no reference of the caller any more.
    delete(token(tenant, "alice"), sha).then().statusCode(204);
    delete(token(tenant, "alice"), sha).then().statusCode(403);
    fetch(token(tenant, "bob"), sha).then().statusCode(200);

    delete(adminToken(tenant, "root"), sha).then().statusCode(204);
    fetch(token(tenant, "bob"), sha).then().statusCode(404);
    assertFalse(queryLong("SELECT count(*) FROM media.media_object WHERE tenant = ?", tenant) > 0);
  }

  /**
   * Several users of several tenants upload and delete the same content at once while the collector
   * runs back to back with a cutoff in the future (everything unreferenced is collectable at once).
   * Whoever holds a reference must always get the bytes.
   */
  @Test
  void collectorNeverRemovesReferencedBytesUnderRacingUploadsAndDeletes() throws Exception {
    byte[] bytes = content(20_000);
    String sha = sha256(bytes);
    List<String> tokens = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      String tenant = newTenant();
      tokens.add(token(tenant, "u1"));
      tokens.add(token(tenant, "u2"));
    }
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(tokens.size() + 1);
    try {
      Future<Integer> gc =
          pool.submit(
              () -> {
                int runs = 0;
                while (!done.get()) {
                  collector.collect(Instant.now().plusSeconds(3600));
                  runs++;
                }
                return runs;
              });
      List<Future<Boolean>> users = new ArrayList<>();
      for (String token : tokens) {
        users.add(
            pool.submit(
                () -> {
                  Random random = new Random();
                  boolean holds = false;
                  for (int i = 0; i < 12; i++) {
                    if (!holds || random.nextBoolean()) {
                      int status;
                      do {
                        status = upload(token, bytes).statusCode();
                        // 503: collected between placing and registering; send again.
                      } while (status == 503);
                      assertTrue(status == 200 || status == 201, "upload status " + status);
                      holds = true;
                    } else {
                      delete(token, sha).then().statusCode(204);
                      holds = false;
                    }
                    if (holds) {
                      byte[] got = download(token, sha);
                      assertArrayEquals(bytes, got);
                    }
                  }
                  return holds;
                }));
      }
      List<Boolean> holding = new ArrayList<>();
      for (Future<Boolean> u : users) {
        holding.add(u.get(5, TimeUnit.MINUTES));
      }
      done.set(true);
      assertTrue(gc.get(1, TimeUnit.MINUTES) > 0);
      collector.collect(Instant.now().plusSeconds(3600));
      // Reads are per tenant: a tenant has the content while one of its two users holds it.
      for (int i = 0; i < tokens.size(); i++) {
        boolean tenantHolds = holding.get(i) || holding.get(i ^ 1);
        fetch(tokens.get(i), sha).then().statusCode(tenantHolds ? 200 : 404);
      }
      assertTrue(holding.contains(true) == Files.exists(blobPath(sha)));
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
  }

  /** Deleting in another tenant or a hash nobody has: 404, and nothing changes. */
  @Test
  void deleteOfUnknownContentIs404() {
    String tenant = newTenant();
    byte[] bytes = content(100);
    upload(token(tenant, "alice"), bytes).then().statusCode(201);
    delete(token(newTenant(), "alice"), sha256(bytes)).then().statusCode(404);
    delete(token(tenant, "alice"), sha256(content(5))).then().statusCode(404);
    fetch(token(tenant, "alice"), sha256(bytes)).then().statusCode(200);
  }
}
