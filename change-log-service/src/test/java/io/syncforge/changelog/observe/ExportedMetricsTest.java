package io.syncforge.changelog.observe;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every series deploy/k8s/monitoring/metrics.txt lists for change-log-service (the ones its alerts
 * and dashboard use) is exported on /q/metrics. The same file is what k8s-validation's
 * MonitoringTest holds the alerts and the dashboard to, so a renamed metric fails here, not in
 * production at 3 a.m.
 */
@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(
    value = KafkaTestResource.class,
    scope = TestResourceScope.GLOBAL,
    initArgs =
        @ResourceArg(
            name = "topics",
            value = "sync.mutations:12,sync.changes:3,sync.mutations.dlq:1"))
@WithTestResource(value = JwtTestResource.class, scope = TestResourceScope.GLOBAL)
class ExportedMetricsTest {

  static final String SERVICE = "change-log-service";

  static Set<String> listed() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (!Files.isRegularFile(p.resolve("deploy/k8s/monitoring/metrics.txt"))) {
      p = p.getParent();
    }
    Set<String> out = new TreeSet<>();
    for (String l : Files.readAllLines(p.resolve("deploy/k8s/monitoring/metrics.txt"))) {
      String[] f = l.trim().split("\\s+");
      if (!l.isBlank() && !l.startsWith("#") && f[0].equals(SERVICE)) {
        out.add(f[1]);
      }
    }
    return out;
  }

  static Set<String> exported() {
    Set<String> out = new TreeSet<>();
    for (String l :
        given().get("/q/metrics").then().statusCode(200).extract().asString().lines().toList()) {
      if (!l.startsWith("#") && !l.isBlank()) {
        int end = l.indexOf('{') >= 0 ? l.indexOf('{') : l.indexOf(' ');
        out.add(l.substring(0, end));
      }
    }
    return out;
  }

  @Test
  void everyListedSeriesIsExported() throws Exception {
    Set<String> wanted = listed();
    assertFalse(wanted.isEmpty());
    // An application request, so that the HTTP server metrics exist (401: no token).
    given().get("/v1/admin/stats").then().statusCode(401);
    Set<String> missing = new TreeSet<>(wanted);
    // The lag gauges appear once the consumer has its partitions: wait for that, bounded.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      missing.removeAll(exported());
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(500);
    }
    assertEquals(Set.of(), missing, "listed in metrics.txt but not on /q/metrics");
  }
}
