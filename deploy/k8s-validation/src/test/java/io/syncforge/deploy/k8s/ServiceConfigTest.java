package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Config keys are read from properties (all profiles) and @ConfigMapping interfaces. */
class ServiceConfigTest {

  private final ServiceConfig demo =
      ServiceConfig.load(Repo.FIXTURES.resolve("fake-repo"), "demo-service").orElseThrow();

  @Test
  void envNamesFollowTheSmallRyeRule() {
    assertEquals(
        "QUARKUS_DATASOURCE_JDBC_URL", ServiceConfig.envName("quarkus.datasource.jdbc.url"));
    assertEquals(
        "SYNC_API_PULL_MAX_WAIT_SECONDS", ServiceConfig.envName("sync.api.pull.max-wait-seconds"));
    assertEquals("max-wait-seconds", ServiceConfig.kebab("maxWaitSeconds"));
  }

  @Test
  void readsMappingMembersNestedInterfacesMapsAndNames() {
    assertTrue(demo.keys().contains("demo.events-topic"));
    assertTrue(demo.keys().contains("demo.max-things"));
    assertTrue(demo.keys().contains("demo.nested.retry-count"));
    assertTrue(demo.keys().contains("demo.optional-nested.retry-count"));
    assertTrue(demo.mapPrefixes().contains("demo.rules"));
    assertFalse(demo.keys().contains("demo.computed"), "default methods are not config");
    assertFalse(demo.keys().contains("demo.fake"), "comments are not config");
    assertFalse(demo.keys().contains("demo.thing-limit"), "@WithName renames");
  }

  @Test
  void acceptsKeysMapMembersAndFrameworkPrefixesOfItsExtensionsOnly() {
    assertTrue(demo.accepts("DEMO_EVENTS_TOPIC"));
    assertTrue(demo.accepts("DEMO_RULES_ANYTHING"));
    assertTrue(demo.accepts("DEMO_ONLY_DEV"), "keys of every profile count");
    assertTrue(demo.accepts("KAFKA_BOOTSTRAP_SERVERS"), "depends on quarkus-messaging-kafka");
    assertFalse(demo.accepts("MP_JWT_VERIFY_ISSUER"), "no quarkus-smallrye-jwt");
    assertFalse(demo.accepts("DEMO_RULES"));
    assertFalse(demo.accepts("DEMO_EVENT_TOPIC"));
  }

  @Test
  void valuesArePerProductionProfileWithDefaultsAndExpressions() {
    assertEquals(Optional.of("high"), demo.value("demo.level"));
    assertEquals(Optional.of("demo.events"), demo.value("demo.topic"));
    assertEquals(Optional.of("3"), demo.value("demo.nested.retry-count"));
    assertEquals(Optional.of("9001"), demo.value("quarkus.http.port"));
  }

  @Test
  void readsTheRealChangeLogService() {
    ServiceConfig c = ServiceConfig.load(Repo.ROOT, "change-log-service").orElseThrow();
    assertTrue(c.keys().contains("sync.kafka.mutations-topic"));
    assertTrue(c.keys().contains("sync.changelog.consumer-group"));
    assertTrue(c.mapPrefixes().contains("sync.changelog.policies"));
    assertEquals(Optional.of("12"), c.value("sync.changelog.partitions"));
    assertEquals(Optional.of("sync.mutations.dlq"), c.value("mp.messaging.outgoing.dlq-out.topic"));
    assertTrue(c.accepts("SYNC_CHANGELOG_POLICIES_NOTES"));
    assertFalse(c.accepts("SYNC_CHANGELOG_PARTITION"));
  }
}
