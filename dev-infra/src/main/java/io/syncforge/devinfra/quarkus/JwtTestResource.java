package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.DevJwt;
import java.nio.file.Path;
import java.util.Map;

/**
 * Test signing keys for services that verify device JWTs: generates (once) an RS256 key pair under
 * {@code target/dev-infra/jwt} and hands the service its public key and issuer. Tests mint tokens
 * with {@link #jwt()}.
 */
public class JwtTestResource implements QuarkusTestResourceLifecycleManager {

  private static final Path DIR = Path.of("target", "dev-infra", "jwt");

  /** The key pair the running service trusts. */
  public static DevJwt jwt() {
    return DevJwt.inDirectory(DIR);
  }

  @Override
  public Map<String, String> start() {
    DevJwt jwt = jwt();
    // The key's content, not its location: Quarkus generates its own dev/test key pair when no
    // key is configured at build time, and that generated key would win over a runtime location.
    return Map.of(
        "mp.jwt.verify.publickey", jwt.publicKeyPemText(), "mp.jwt.verify.issuer", DevJwt.ISSUER);
  }

  @Override
  public void stop() {}
}
