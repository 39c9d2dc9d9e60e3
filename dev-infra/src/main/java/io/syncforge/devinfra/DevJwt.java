package io.syncforge.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Development and test signing keys (RS256) and device tokens in the shape the services expect:
 * claims {@code iss}, {@code sub} (user), {@code tenant}, {@code groups} ({@code sync-admin} for
 * admins). Keys are generated on first use into a directory and reused; they are never committed.
 */
public final class DevJwt {

  /** The issuer every service accepts in dev and test. */
  public static final String ISSUER = "https://syncforge.dev/issuer";

  private final Path publicKeyPem;
  private final PrivateKey privateKey;

  private DevJwt(Path publicKeyPem, PrivateKey privateKey) {
    this.publicKeyPem = publicKeyPem;
    this.privateKey = privateKey;
  }

  /** Loads the key pair from {@code dir}, generating it there first if it is missing. */
  public static DevJwt inDirectory(Path dir) {
    Path pub = dir.resolve("dev-jwt-public.pem");
    Path priv = dir.resolve("dev-jwt-private.pem");
    try {
      Files.createDirectories(dir);
      if (!Files.exists(pub) || !Files.exists(priv)) {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair kp = gen.generateKeyPair();
        Path tmp = dir.resolve("dev-jwt-private.pem.tmp");
        Files.writeString(tmp, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Files.writeString(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        Files.move(tmp, priv, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      byte[] der = unpem(Files.readString(priv));
      PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
      // Fail early if the public half is unreadable.
      KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(unpem(Files.readString(pub))));
      return new DevJwt(pub.toAbsolutePath(), key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write dev keys in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("bad dev keys in " + dir, e);
    }
  }

  /** The PEM file of the public key, for {@code mp.jwt.verify.publickey.location}. */
  public Path publicKeyPem() {
    return publicKeyPem;
  }

  /** The public key in PEM text. */
  public String publicKeyPemText() {
    try {
      return Files.readString(publicKeyPem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A device token valid for 12 hours. */
  public String token(String tenant, String user, boolean admin) {
    return token(tenant, user, admin ? List.of("sync-admin") : List.of(), Duration.ofHours(12));
  }

  /** A token with the given groups and lifetime (negative for an expired one). */
  public String token(String tenant, String user, List<String> groups, Duration lifetime) {
    Objects.requireNonNull(user, "user == null");
    Instant now = Instant.now();
    StringBuilder claims = new StringBuilder("{");
    claims.append("\"iss\":").append(quote(ISSUER));
    claims.append(",\"sub\":").append(quote(user));
    claims.append(",\"upn\":").append(quote(user));
    if (tenant != null) {
      claims.append(",\"tenant\":").append(quote(tenant));
    }
    claims.append(",\"groups\":[");
    for (int i = 0; i < groups.size(); i++) {
      claims.append(i == 0 ? "" : ",").append(quote(groups.get(i)));
    }
    claims.append("]");
    long iat =
        lifetime.isNegative()
            ? now.plus(lifetime).minusSeconds(60).getEpochSecond()
            : now.getEpochSecond();
    claims.append(",\"iat\":").append(iat);
    claims.append(",\"exp\":").append(now.plus(lifetime).getEpochSecond());
    claims.append(",\"jti\":").append(quote(UUID.randomUUID().toString()));
    claims.append("}");
    String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String body = b64(claims.toString().getBytes(StandardCharsets.UTF_8));
    String signingInput = header + "." + body;
    try {
      Signature sig = Signature.getInstance("SHA256withRSA");
      sig.initSign(privateKey);
      sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + b64(sig.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
  }

  /** Parses a PEM public key (for tests that verify tokens themselves). */
  public static PublicKey parsePublicKey(String pem) throws GeneralSecurityException {
    return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(unpem(pem)));
  }

  /**
   * Prints a token: {@code DevJwt <keyDir> <tenant> <user> [--admin]}. Only the token goes to
   * stdout, so scripts can capture it.
   */
  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: DevJwt <keyDir> <tenant> <user> [--admin]");
      System.exit(2);
    }
    boolean admin = args.length > 3 && args[3].equals("--admin");
    System.out.println(inDirectory(Path.of(args[0])).token(args[1], args[2], admin));
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static byte[] unpem(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(base64);
  }
}
