package io.syncforge.syncapi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.syncforge.devinfra.DevJwt;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.service.JwtSettingsCheck;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 4: tokens as an identity provider issues them. Every token the service must refuse
 * is answered 401 problem+json {@code unauthorized} over real HTTP, without words of the
 * implementation; a key the identity provider adds to its JWKS (key rotation) is accepted without a
 * restart.
 */
@QuarkusTest
@WithApiTopics
class TokenVerificationTest {

  private static final String PATH = "/v1/sync/pull";

  /** Claims of a valid device token; tests change one thing. */
  private static Map<String, Object> claims() {
    long now = Instant.now().getEpochSecond();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", DevJwt.ISSUER);
    c.put("aud", DevJwt.AUDIENCE);
    c.put("sub", "u-1");
    c.put("tenant", TestSupport.tenant("jwt"));
    c.put("groups", List.of());
    c.put("iat", now);
    c.put("exp", now + 600);
    c.put("jti", UUID.randomUUID().toString());
    return c;
  }

  private static String json(Map<String, Object> claims) {
    StringBuilder sb = new StringBuilder("{");
    claims.forEach(
        (k, v) -> {
          sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":");
          if (v instanceof String s) {
            sb.append('"').append(s).append('"');
          } else if (v instanceof List<?> l) {
            sb.append(l.isEmpty() ? "[]" : "[\"" + String.join("\",\"", (List<String>) l) + "\"]");
          } else {
            sb.append(v);
          }
        });
    return sb.append('}').toString();
  }

  private static String b64(String s) {
    return DevJwt.b64(s.getBytes(StandardCharsets.UTF_8));
  }

  private static void refused(String token, String what) {
    Response r = given().auth().oauth2(token).get(PATH);
    r.then()
        .statusCode(401)
        .contentType("application/problem+json")
        .header("WWW-Authenticate", "Bearer")
        .body("code", equalTo("unauthorized"));
    String body = r.asString();
    for (String leak :
        List.of("Exception", "jose4j", "smallrye", "io.quarkus", "io.syncforge", "java.", "org.")) {
      assertFalse(body.contains(leak), what + ": the answer leaks '" + leak + "': " + body);
    }
  }

  /** A valid token signed with the published dev key. */
  private static String valid() {
    return JwtTestResource.jwt().sign(json(claims()));
  }

  private static void accepted(String token) {
    given().auth().oauth2(token).get(PATH).then().statusCode(200);
  }

  @Test
  void aValidTokenIsAccepted() {
    accepted(valid());
  }

  @Test
  void everyTokenAnIdentityProviderWouldNotHaveIssuedForUsIs401() throws Exception {
    DevJwt key = JwtTestResource.jwt();
    long now = Instant.now().getEpochSecond();

    Map<String, Object> c = claims();
    c.put("iss", "https://other.example/issuer");
    refused(key.sign(json(c)), "wrong issuer");

    c = claims();
    c.put("aud", "another-app");
    refused(key.sign(json(c)), "wrong audience");

    c = claims();
    c.remove("aud");
    refused(key.sign(json(c)), "no audience");

    refused(DevJwt.inMemory().sign(json(claims())), "wrong key (unknown kid)");
    String kidOfOurs = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" + key.kid() + "\"}";
    refused(DevJwt.inMemory().sign(kidOfOurs, json(claims())), "wrong key, our kid");

    c = claims();
    c.put("iat", now - 3600);
    c.put("exp", now - 120); // beyond the 60 s clock skew
    refused(key.sign(json(c)), "expired");

    c = claims();
    c.put("iat", now - 2 * 86_400); // older than mp.jwt.verify.token.age (1 day), not expired
    c.put("exp", now + 3600);
    refused(key.sign(json(c)), "too old");

    c = claims();
    c.remove("iat");
    refused(key.sign(json(c)), "no iat");

    String body = b64(json(claims()));
    refused(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + body + ".", "alg none");

    String hsInput = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + key.kid() + "\"}");
    hsInput = hsInput + "." + body;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(
        new SecretKeySpec(key.publicKeyPemText().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String hs = hsInput + "." + DevJwt.b64(mac.doFinal(hsInput.getBytes(StandardCharsets.UTF_8)));
    refused(hs, "HS256 signed with the public key text");

    c = claims();
    c.remove("tenant");
    refused(key.sign(json(c)), "no tenant claim");
    c.put("tenant", "not a tenant!");
    refused(key.sign(json(c)), "invalid tenant claim");
  }

  @Test
  void aKeyAddedToTheJwksIsAcceptedWithoutRestart() throws InterruptedException {
    DevJwt rotated = DevJwt.inMemory();
    String token = rotated.sign(json(claims()));
    refused(token, "a key the identity provider has not published yet");
    int fetches = JwtTestResource.fetches();
    JwtTestResource.publish(rotated);
    try {
      // The unknown kid forces a refetch (the scheduled refresh is 60 min away); smallrye may
      // serve the request that triggered it from the old set, so allow a few seconds, not an hour.
      int status = 0;
      for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
        status = given().auth().oauth2(token).get(PATH).statusCode();
        if (status == 200) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(200, status, "a key published to the JWKS is accepted without a restart");
      assertTrue(JwtTestResource.fetches() > fetches, "the unknown kid refreshed the JWKS");
      // The old key still works while it is published (tokens issued before the rotation).
      accepted(valid());
    } finally {
      JwtTestResource.retire(rotated);
    }
  }

  @Test
  void aPackagedStartWithoutAudienceIsRefusedWithAClearMessage() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("mp.jwt.verify.issuer", "https://idp.example/");
    settings.put("mp.jwt.verify.publickey.location", "https://idp.example/jwks.json");
    List<String> problems = JwtSettingsCheck.problems(config(settings));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("MP_JWT_VERIFY_AUDIENCES"), problems.get(0));
    settings.put("mp.jwt.verify.audiences", "syncforge-api");
    assertEquals(List.of(), JwtSettingsCheck.problems(config(settings)));
  }

  private static SmallRyeConfig config(Map<String, String> settings) {
    return new SmallRyeConfigBuilder()
        .withSources(new PropertiesConfigSource(Map.copyOf(settings), "prod", 500))
        .build();
  }
}
