package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevJwtTest {

  @Test
  void tokensAreSignedWithTheKeptKeyAndCarryTheClaims() throws Exception {
    Path dir = Path.of("target", "test-jwt");
    DevJwt jwt = DevJwt.inDirectory(dir);
    String token = jwt.token("t1", "u\"1", true);
    String[] parts = token.split("\\.");
    assertEquals(3, parts.length);
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertTrue(claims.contains("\"tenant\":\"t1\""), claims);
    assertTrue(claims.contains("\"sub\":\"u\\\"1\""), claims);
    assertTrue(claims.contains("\"groups\":[\"sync-admin\"]"), claims);

    // A second load reuses the same keys: the token verifies with the stored public key.
    DevJwt again = DevJwt.inDirectory(dir);
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initVerify(DevJwt.parsePublicKey(again.publicKeyPemText()));
    sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertTrue(sig.verify(Base64.getUrlDecoder().decode(parts[2])));

    String expired = jwt.token("t1", "u1", List.of(), Duration.ofMinutes(-5));
    String exp =
        new String(Base64.getUrlDecoder().decode(expired.split("\\.")[1]), StandardCharsets.UTF_8);
    long expAt = Long.parseLong(exp.replaceAll(".*\"exp\":(\\d+).*", "$1"));
    assertFalse(expAt > System.currentTimeMillis() / 1000, "expired token has exp in the past");
  }
}
