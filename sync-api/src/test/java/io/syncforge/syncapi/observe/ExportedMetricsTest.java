package io.syncforge.syncapi.observe;

import static io.restassured.RestAssured.given;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.ExportedMetrics;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import org.junit.jupiter.api.Test;

/**
 * Every series deploy/k8s/monitoring/metrics.txt lists for sync-api (the ones its alerts and
 * dashboard use) is exported on /q/metrics. The same file is what k8s-validation's MonitoringTest
 * holds the alerts and the dashboard to, so a renamed metric fails here, not in production at 3
 * a.m.
 */
@QuarkusTest
@WithDevInfra
class ExportedMetricsTest {

  static final String SERVICE = "sync-api";

  @Test
  void everyListedSeriesIsExported() throws Exception {
    // Requests that create the meters: a pull (PullService's timer and gauge), a refused one
    // (sync_errors_total counts problem+json answers by code), both HTTP server requests.
    String token =
        JwtTestResource.jwt().token("metrics-" + System.nanoTime(), "metrics-user", false);
    given().auth().oauth2(token).get("/v1/sync/pull?limit=10");
    given().get("/v1/sync/pull").then().statusCode(401);
    given().auth().oauth2(token).get("/v1/sync/pull?cursor=not-a-cursor");
    // Meters may register a moment after the first request: wait for them, bounded.
    ExportedMetrics.assertExported(
        SERVICE, () -> given().get("/q/metrics").then().statusCode(200).extract().asString());
  }
}
