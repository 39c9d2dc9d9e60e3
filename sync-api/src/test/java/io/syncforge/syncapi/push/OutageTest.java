package io.syncforge.syncapi.push;

import static io.restassured.RestAssured.given;
import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 3: outages are answered (503 + Retry-After), not suffered by blocked threads; the
 * pod stays ready; pulls keep working while Kafka is down.
 */
@QuarkusTest
@WithDevInfra
class OutageTest {

  private static String body() {
    return push(
        "dev-o", mutation(UUID.randomUUID(), "tasks", "t-" + UUID.randomUUID(), "upsert", "{}"));
  }

  /** Threads blocked inside the Kafka producer's send (waiting for metadata or buffer space). */
  private static int threadsBlockedInSend() {
    int n = 0;
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
      for (StackTraceElement e : t.getStackTrace()) {
        if (e.getClassName().equals("org.apache.kafka.clients.producer.KafkaProducer")
            && (e.getMethodName().equals("waitOnMetadata") || e.getMethodName().equals("doSend"))) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /** Many pushes and pulls at once while Kafka cannot take anything. */
  private static void pushesAnswered503AndPullsServed(String what) throws Exception {
    String pusher = TestSupport.tenant("out-push");
    String puller = TestSupport.tenant("out-pull");
    int pushes = 40;
    ExecutorService pool = Executors.newFixedThreadPool(pushes + 4);
    AtomicInteger maxBlocked = new AtomicInteger();
    try {
      List<Future<Response>> answers = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < pushes; i++) {
        answers.add(pool.submit(() -> as(pusher).body(body()).post("/v1/sync/push")));
      }
      // While the pushes are in flight: pulls of another tenant, readiness, thread census.
      long pullMax = 0;
      for (int i = 0; i < 20; i++) {
        long p0 = System.nanoTime();
        as(puller).get("/v1/sync/pull").then().statusCode(200);
        pullMax = Math.max(pullMax, System.nanoTime() - p0);
        maxBlocked.accumulateAndGet(threadsBlockedInSend(), Math::max);
      }
      given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
      List<Integer> statuses = new ArrayList<>();
      long slowest = 0;
      for (Future<Response> f : answers) {
        Response r = f.get(60, TimeUnit.SECONDS);
        statuses.add(r.statusCode());
        if (r.statusCode() == 503) {
          assertNotNull(r.header("Retry-After"), "503 without Retry-After");
          assertEquals("unavailable", r.jsonPath().getString("code"));
        }
        slowest = Math.max(slowest, System.nanoTime() - t0);
      }
      assertTrue(statuses.stream().allMatch(s -> s == 503), what + ": " + statuses);
      // The gate: after the first failure a push answers at once, without touching the producer.
      Response late = as(pusher).body(body()).post("/v1/sync/push");
      assertEquals(503, late.statusCode(), late.asString());
      assertNotNull(late.header("Retry-After"));
      given()
          .get("/q/health/group/dependencies")
          .then()
          .statusCode(503)
          .body("checks[0].data.kafka", equalTo("down"))
          .body("checks[0].data.postgresql", equalTo("up"));
      assertTrue(maxBlocked.get() <= 1, "threads blocked in KafkaProducer.send: " + maxBlocked);
      System.out.printf(
          "%s: %d pushes all 503 within %d ms; slowest of 20 pulls meanwhile %d ms; at most %d"
              + " thread(s) blocked in send%n",
          what, pushes, slowest / 1_000_000, pullMax / 1_000_000, maxBlocked.get());
    } finally {
      pool.shutdownNow();
    }
  }

  /** After the outage a push becomes durable again (retrying 503s as a device would). */
  private static void pushWorksAgain() throws Exception {
    String tenant = TestSupport.tenant("out-after");
    String body = body();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Response r;
    do {
      r = as(tenant).body(body).post("/v1/sync/push");
      if (r.statusCode() == 200) {
        break;
      }
      assertEquals(503, r.statusCode(), r.asString());
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    assertEquals(200, r.statusCode(), r.asString());
    given().get("/q/health/group/dependencies").then().statusCode(200);
  }

  @Test
  void frozenBroker() throws Exception {
    long broker = KafkaTestResource.current().pid();
    signal("STOP", broker);
    try {
      pushesAnswered503AndPullsServed("broker SIGSTOP");
    } finally {
      signal("CONT", broker);
    }
    pushWorksAgain();
  }

  @Test
  void killedBroker() throws Exception {
    KafkaLauncher.RunningKafka old = KafkaTestResource.current();
    String bootstrap = old.bootstrapServers();
    int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    signal("KILL", old.pid());
    try {
      pushesAnswered503AndPullsServed("broker SIGKILL");
    } finally {
      // Same port and data: the other test classes keep their broker, topics and offsets.
      KafkaLauncher.RunningKafka restarted =
          KafkaLauncher.builder().dataDir(old.dataDir()).port(port).fresh(false).start();
      Field current = KafkaTestResource.class.getDeclaredField("current");
      current.setAccessible(true);
      current.set(null, restarted); // so that the resource stops the new broker at the end
    }
    pushWorksAgain();
  }

  @Test
  void databaseConnectionTerminatedMidRequestIs503AndTheNextPullWorks() throws Exception {
    String tenant = TestSupport.tenant("out-pg");
    as(tenant).get("/v1/sync/pull").then().statusCode(200);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection lock = TestSupport.superuser();
        Connection admin = TestSupport.superuser()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        // The pull's read blocks on this lock: it is mid-request when its backend is terminated.
        s.execute("LOCK TABLE change_log IN ACCESS EXCLUSIVE MODE");
      }
      Future<Response> pull = pool.submit(() -> as(tenant).get("/v1/sync/pull"));
      int terminated = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (terminated == 0 && System.nanoTime() < deadline) {
        try (PreparedStatement q =
            admin.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    + " AND query ILIKE '%change_log%'")) {
          try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
              terminated++;
            }
          }
        }
        Thread.sleep(50);
      }
      assertTrue(terminated > 0, "the pull never waited on the lock");
      Response r = pull.get(30, TimeUnit.SECONDS);
      assertEquals(503, r.statusCode(), r.asString());
      assertNotNull(r.header("Retry-After"));
      assertEquals("unavailable", r.jsonPath().getString("code"));
      lock.rollback();
    } finally {
      pool.shutdownNow();
    }
    // The pool hands out a working connection again: pulls and pushes are fine.
    as(tenant).get("/v1/sync/pull").then().statusCode(200);
    given().get("/q/health/ready").then().statusCode(200);
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
  }
}
