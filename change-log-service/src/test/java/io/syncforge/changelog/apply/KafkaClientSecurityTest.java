package io.syncforge.changelog.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaClientSecurityTest {

  @Test
  void theHandBuiltClientsGetTheSecuritySettingsOfTheKafkaConfig() {
    Map<String, Object> kafka = new HashMap<>();
    kafka.put("bootstrap.servers", "broker:9093");
    kafka.put("security.protocol", "SASL_SSL");
    kafka.put("sasl.mechanism", "SCRAM-SHA-512");
    kafka.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule ...");
    kafka.put("ssl.truststore.location", "/etc/kafka-ca/ca.p12");
    kafka.put("ssl.truststore.type", "PKCS12");
    kafka.put("key.deserializer", "not.for.us");
    kafka.put("group.id", "not-for-us-either");
    kafka.put("sasl.null", null);

    Properties props = KafkaClientSecurity.apply(kafka, new Properties());

    assertEquals("SASL_SSL", props.get("security.protocol"));
    assertEquals("SCRAM-SHA-512", props.get("sasl.mechanism"));
    assertEquals("/etc/kafka-ca/ca.p12", props.get("ssl.truststore.location"));
    assertEquals(5, props.size(), props.toString());
    assertFalse(props.containsKey("key.deserializer"));
    assertFalse(props.containsKey("group.id"));
    assertFalse(props.containsKey("bootstrap.servers"), "the caller sets its own");
  }

  @Test
  void noKafkaConfigMeansPlaintextAsBefore() {
    assertEquals(0, KafkaClientSecurity.apply(null, new Properties()).size());
    assertEquals(0, KafkaClientSecurity.apply(Map.of(), new Properties()).size());
  }
}
