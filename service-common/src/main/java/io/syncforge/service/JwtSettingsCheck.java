package io.syncforge.service;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Refuses to start a packaged (production) service whose token verification is not configured the
 * way an identity provider needs it: without an audience ({@code mp.jwt.verify.audiences}) any
 * token of the issuer, meant for any other application, would be accepted. dev and test have the
 * shared defaults of {@code META-INF/microprofile-config.properties}.
 */
@ApplicationScoped
public class JwtSettingsCheck {

  void onStart(@Observes StartupEvent event) {
    if (LaunchMode.current() != LaunchMode.NORMAL) {
      return;
    }
    List<String> problems = problems(ConfigProvider.getConfig());
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "token verification is not configured: " + String.join("; ", problems));
    }
  }

  /** What is missing for production, empty when nothing is. */
  public static List<String> problems(Config config) {
    List<String> problems = new ArrayList<>();
    if (blank(config.getOptionalValue("mp.jwt.verify.audiences", String.class))) {
      problems.add(
          "mp.jwt.verify.audiences (MP_JWT_VERIFY_AUDIENCES) is required in production: the"
              + " audience (aud) your identity provider puts in tokens for SyncForge");
    }
    if (blank(config.getOptionalValue("mp.jwt.verify.issuer", String.class))) {
      problems.add("mp.jwt.verify.issuer (MP_JWT_VERIFY_ISSUER) is required");
    }
    if (blank(config.getOptionalValue("mp.jwt.verify.publickey.location", String.class))
        && blank(config.getOptionalValue("mp.jwt.verify.publickey", String.class))) {
      problems.add(
          "mp.jwt.verify.publickey.location (MP_JWT_VERIFY_PUBLICKEY_LOCATION) is required: the"
              + " identity provider's JWKS URL, or a PEM file");
    }
    return problems;
  }

  private static boolean blank(Optional<String> value) {
    return value.isEmpty() || value.get().isBlank();
  }
}
