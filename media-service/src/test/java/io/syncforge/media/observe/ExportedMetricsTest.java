package io.syncforge.media.observe;

import static io.restassured.RestAssured.given;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.ExportedMetrics;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import org.junit.jupiter.api.Test;

/**
 * Every series deploy/k8s/monitoring/metrics.txt lists for media-service (the ones its alerts and
 * dashboard use) is exported on /q/metrics. The same file is what k8s-validation's MonitoringTest
 * holds the alerts and the dashboard to, so a renamed metric fails here, not in production at 3
 * a.m.
 */
@QuarkusTest
@WithDevInfra
class ExportedMetricsTest {

  static final String SERVICE = "media-service";

  @Test
  void everyListedSeriesIsExported() throws Exception {
    // An application request, so that the HTTP server metrics exist (401: no token).
    given().get("/v1/media/" + "0".repeat(64) + "/meta").then().statusCode(401);
    // Meters may register a moment after the first request: wait for them, bounded.
    ExportedMetrics.assertExported(
        SERVICE, () -> given().get("/q/metrics").then().statusCode(200).extract().asString());
  }
}
