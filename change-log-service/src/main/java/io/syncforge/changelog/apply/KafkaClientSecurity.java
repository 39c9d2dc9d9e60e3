package io.syncforge.changelog.apply;

import java.util.Map;
import java.util.Properties;

/**
 * The connection-security settings of the service's {@code kafka.*} configuration (Quarkus' {@code
 * default-kafka-broker} map), copied onto the Kafka clients this service builds by hand (the apply
 * loop's consumer, the admin API's offset reader). Without them those clients would speak plaintext
 * to a TLS + SCRAM listener (deploy/k8s) while the messaging channels, which get the map from
 * Quarkus, would not: the writer would never connect.
 */
public final class KafkaClientSecurity {
  private KafkaClientSecurity() {}

  /** True for a key that configures how a client connects and authenticates. */
  static boolean isSecurityKey(String key) {
    return key.equals("security.protocol")
        || key.startsWith("sasl.")
        || key.startsWith("ssl.")
        || key.equals("client.dns.lookup");
  }

  /** Copies the security keys of {@code kafka} into {@code props}; returns {@code props}. */
  public static Properties apply(Map<String, Object> kafka, Properties props) {
    if (kafka != null) {
      kafka.forEach(
          (k, v) -> {
            if (v != null && isSecurityKey(k)) {
              props.put(k, v);
            }
          });
    }
    return props;
  }
}
