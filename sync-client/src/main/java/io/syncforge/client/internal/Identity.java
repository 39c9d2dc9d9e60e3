package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * Who a local database belongs to: the sync-api origin, the tenant and the user. Tenant and user
 * come from the app ({@code Builder.identity}) or from the bearer token's claims ({@code tenant},
 * {@code sub}), read without verification (the server verifies; this only keeps two accounts' data
 * apart). A part that cannot be known (an opaque token) is null and matches anything.
 */
public record Identity(String server, String tenant, String user) {

  /** Stored form: {@code <server> tenant=<t> user=<u>}, {@code ?} for an unknown part. */
  public String encode() {
    return server
        + " tenant="
        + (tenant == null ? "?" : tenant)
        + " user="
        + (user == null ? "?" : user);
  }

  @Override
  public String toString() {
    return encode();
  }

  /** Parses {@link #encode()}; null for an unreadable value. */
  public static Identity decode(String s) {
    if (s == null) {
      return null;
    }
    int t = s.lastIndexOf(" tenant=");
    int u = s.lastIndexOf(" user=");
    if (t < 0 || u < t) {
      return null;
    }
    String tenant = s.substring(t + 8, u);
    String user = s.substring(u + 6);
    return new Identity(
        s.substring(0, t), "?".equals(tenant) ? null : tenant, "?".equals(user) ? null : user);
  }

  /** The identity of {@code baseUrl} with the explicit parts, or else the token's claims. */
  public static Identity of(
      String baseUrl, String tenant, String user, String token, ObjectMapper mapper) {
    String t = tenant;
    String u = user;
    if ((t == null || u == null) && token != null) {
      JsonNode claims = claims(token, mapper);
      if (claims != null) {
        if (t == null && claims.path("tenant").isTextual()) {
          t = claims.get("tenant").asText();
        }
        if (u == null && claims.path("sub").isTextual()) {
          u = claims.get("sub").asText();
        }
      }
    }
    return new Identity(normalize(baseUrl), t, u);
  }

  /** True when neither tenant nor user differ (unknown parts match anything). */
  public boolean sameAccount(Identity other) {
    return (tenant == null || other.tenant == null || tenant.equals(other.tenant))
        && (user == null || other.user == null || user.equals(other.user));
  }

  /** {@code other}'s server, with unknown tenant/user filled from this one. */
  public Identity merge(Identity other) {
    return new Identity(
        other.server,
        other.tenant != null ? other.tenant : tenant,
        other.user != null ? other.user : user);
  }

  static String normalize(String baseUrl) {
    try {
      URI u = URI.create(baseUrl);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
      int port = u.getPort();
      if (port == -1) {
        port = "https".equals(scheme) ? 443 : 80;
      }
      String path = Objects.requireNonNullElse(u.getPath(), "");
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      return scheme + "://" + host + ":" + port + path;
    } catch (IllegalArgumentException e) {
      return baseUrl;
    }
  }

  private static JsonNode claims(String token, ObjectMapper mapper) {
    String[] parts = token.split("\\.");
    if (parts.length < 2) {
      return null;
    }
    try {
      byte[] json = Base64.getUrlDecoder().decode(parts[1]);
      JsonNode n = mapper.readTree(new String(json, StandardCharsets.UTF_8));
      return n != null && n.isObject() ? n : null;
    } catch (RuntimeException | java.io.IOException e) {
      return null; // not a JWT: an opaque token
    }
  }
}
