package io.syncforge.media.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Issue 14, item 6: with the STS module on the classpath the SDK's default chain (used when no
 * static keys are configured) can exchange an EKS/IRSA web identity token for credentials. A
 * stand-in for the STS endpoint answers AssumeRoleWithWebIdentity; without the module the provider
 * fails ("the 'sts' service module must be on the class path").
 */
class WebIdentityCredentialsTest {

  @TempDir Path dir;

  @Test
  void webIdentityTokenIsExchangedThroughSts() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "the-projected-service-account-token");
    AtomicReference<String> request = new AtomicReference<>();
    HttpServer sts = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sts.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            request.set(
                URLDecoder.decode(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8), StandardCharsets.UTF_8));
          }
          byte[] body =
              ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                      + "<AssumeRoleWithWebIdentityResult><Credentials>"
                      + "<AccessKeyId>AKIAFROMSTS</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>"
                      + "<SessionToken>session</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
                      + "</Credentials></AssumeRoleWithWebIdentityResult>"
                      + "</AssumeRoleWithWebIdentityResponse>")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/xml");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    sts.start();
    String endpointProperty = "aws.endpointUrlSts";
    String regionProperty = "aws.region";
    String oldEndpoint = System.getProperty(endpointProperty);
    String oldRegion = System.getProperty(regionProperty);
    System.setProperty(endpointProperty, "http://127.0.0.1:" + sts.getAddress().getPort());
    System.setProperty(regionProperty, Region.EU_WEST_1.id());
    try (WebIdentityTokenFileCredentialsProvider provider =
        WebIdentityTokenFileCredentialsProvider.builder()
            .roleArn("arn:aws:iam::123456789012:role/media")
            .roleSessionName("media-service")
            .webIdentityTokenFile(token)
            .build()) {
      AwsCredentials credentials = provider.resolveCredentials();
      assertEquals("AKIAFROMSTS", credentials.accessKeyId());
      assertTrue(credentials instanceof AwsSessionCredentials);
      assertTrue(request.get().contains("Action=AssumeRoleWithWebIdentity"), request.get());
      assertTrue(request.get().contains("WebIdentityToken=the-projected-service-account-token"));
    } finally {
      restore(endpointProperty, oldEndpoint);
      restore(regionProperty, oldRegion);
      sts.stop(0);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
