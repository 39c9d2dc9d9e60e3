package io.syncforge.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.apache.http.impl.client.DefaultHttpClient;
import org.apache.http.impl.conn.PoolingClientConnectionManager;
import org.apache.http.params.CoreConnectionPNames;

/**
 * REST Assured set up for load: one pooled, keep-alive HTTP client shared by every thread (REST
 * Assured's default opens a client, and a connection, per request), with connect and read timeouts
 * so that no request hangs a scenario.
 */
final class Http {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final RestAssuredConfig CONFIG;

  static {
    @SuppressWarnings("deprecation")
    PoolingClientConnectionManager pool = new PoolingClientConnectionManager();
    pool.setMaxTotal(2048);
    pool.setDefaultMaxPerRoute(1024);
    CONFIG =
        RestAssuredConfig.config()
            .httpClient(
                HttpClientConfig.httpClientConfig()
                    .reuseHttpClientInstance()
                    .httpClientFactory(
                        () -> {
                          @SuppressWarnings("deprecation")
                          DefaultHttpClient c = new DefaultHttpClient(pool);
                          return c;
                        })
                    .setParam(CoreConnectionPNames.CONNECTION_TIMEOUT, 5_000)
                    .setParam(CoreConnectionPNames.SO_TIMEOUT, 60_000));
  }

  private Http() {}

  /** A request with the bearer token. */
  static RequestSpecification as(String token) {
    return RestAssured.given().config(CONFIG).header("Authorization", "Bearer " + token);
  }

  /** The problem {@code code} of an error answer, or null. */
  static String code(Response r) {
    if (r.statusCode() < 400) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(r.asByteArray());
      return n.path("code").isTextual() ? n.path("code").asText() : "no-code";
    } catch (Exception e) {
      return "no-problem-body";
    }
  }

  static JsonNode json(Response r) {
    try {
      return JSON.readTree(r.asByteArray());
    } catch (Exception e) {
      throw new IllegalStateException("unreadable body (" + r.statusCode() + ")", e);
    }
  }
}
