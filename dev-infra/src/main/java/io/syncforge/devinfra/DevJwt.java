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
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Development and test signing keys (RS256) and device tokens in the shape an identity provider
 * issues them and the services expect: header {@code kid}; claims {@code iss}, {@code aud}, {@code
 * sub} (user), {@code tenant}, {@code groups} ({@code sync-admin} for admins), {@code iat}, {@code
 * exp}. Keys are generated on first use into a directory and reused; they are never committed. The
 * public key is also available as a JWKS ({@link #jwks}) for tests of key rotation.
 */
public final class DevJwt {

  /** The issuer every service accepts in dev and test. */
  public static final String ISSUER = "https://syncforge.dev/issuer";

  /** The audience every service expects in dev and test ({@code mp.jwt.verify.audiences}). */
  public static final String AUDIENCE = "syncforge-api";

  private final Path publicKeyPem;
  private final PrivateKey privateKey;
  private final RSAPublicKey publicKey;
  private final String kid;

  private DevJwt(Path publicKeyPem, PrivateKey privateKey, RSAPublicKey publicKey) {
    this.publicKeyPem = publicKeyPem;
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.kid = kidOf(publicKey);
  }

  /** A fresh key pair held in memory only (tests of wrong keys and of key rotation). */
  public static DevJwt inMemory() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      KeyPair kp = gen.generateKeyPair();
      return new DevJwt(null, kp.getPrivate(), (RSAPublicKey) kp.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a key pair", e);
    }
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
      PublicKey publicKey =
          KeyFactory.getInstance("RSA")
              .generatePublic(new X509EncodedKeySpec(unpem(Files.readString(pub))));
      return new DevJwt(pub.toAbsolutePath(), key, (RSAPublicKey) publicKey);
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
    return pem("PUBLIC KEY", publicKey.getEncoded());
  }

  /**
   * The key id ({@code kid}) tokens carry: derived from the public key, so a new key has a new one.
   */
  public String kid() {
    return kid;
  }

  /** The public key as one JWK (RSA, {@code use: sig}, {@code alg: RS256}, {@link #kid}). */
  public String jwk() {
    return "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":"
        + quote(kid)
        + ",\"n\":"
        + quote(b64(unsigned(publicKey.getModulus().toByteArray())))
        + ",\"e\":"
        + quote(b64(unsigned(publicKey.getPublicExponent().toByteArray())))
        + "}";
  }

  /** A JWKS document ({@code {"keys":[...]}}) holding the public keys of {@code keys}. */
  public static String jwks(List<DevJwt> keys) {
    StringBuilder sb = new StringBuilder("{\"keys\":[");
    for (int i = 0; i < keys.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(keys.get(i).jwk());
    }
    return sb.append("]}").toString();
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
    claims.append(",\"aud\":").append(quote(AUDIENCE));
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
    return sign(claims.toString());
  }

  /** Signs {@code claimsJson} as given (RS256, header with {@link #kid}): tests of odd claims. */
  public String sign(String claimsJson) {
    return sign("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":" + quote(kid) + "}", claimsJson);
  }

  /** Signs {@code claimsJson} with RS256 under {@code headerJson} as given. */
  public String sign(String headerJson, String claimsJson) {
    String header = b64(headerJson.getBytes(StandardCharsets.UTF_8));
    String body = b64(claimsJson.getBytes(StandardCharsets.UTF_8));
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

  private static String kidOf(RSAPublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return "dev-" + b64(digest).substring(0, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] unsigned(byte[] twosComplement) {
    if (twosComplement.length > 1 && twosComplement[0] == 0) {
      return java.util.Arrays.copyOfRange(twosComplement, 1, twosComplement.length);
    }
    return twosComplement;
  }

  /** URL-safe base64 without padding, as JWTs use. */
  public static String b64(byte[] bytes) {
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
