package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each check rejects a manifest broken in the way it guards against: a fixture under {@code
 * src/test/resources/broken/} overlays one real overlay with one mistake, and the named check must
 * report it. So no check passes because it looked at nothing.
 */
class BrokenManifestsTest {

  /** fixture | check | a fragment of the violation the check must report. */
  private static final String TABLE =
      """
          unknown-core-field      | typed models and schemas    | unknown field(s) [livenesProbe]
          unknown-crd-field       | typed models and schemas    | KafkaTopic sync.changes.spec.partition: unknown field
          crd-wrong-type          | typed models and schemas    | lagThreshold: expected string
          service-selector        | selectors                   | Service sync-api: selector {app.kubernetes.io/name=syncapi} matches no pod template
          service-target-port     | selectors                   | Service media-service-web: targetPort web is no port of media-service
          no-pdb                  | selectors                   | Deployment media-service: no PodDisruptionBudget
          port-not-served         | ports and probes            | container port 8081, but change-log-service serves 9090
          probe-path              | ports and probes            | livenessProbe must GET /q/health/live, not /health
          probe-port              | ports and probes            | startupProbe port 8080 is not the management port 9000
          no-limits               | requests, limits and probes | Deployment media-service container media-service: no memory limit
          no-startup-probe        | requests, limits and probes | Deployment sync-api container sync-api: no startupProbe
          topic-partitions        | topics                      | KafkaTopic sync.mutations has 6 partitions, but change-log-service is configured for 12
          partitions-config       | topics                      | KafkaTopic sync.mutations has 12 partitions, but change-log-service is configured for 16
          topic-missing           | topics                      | topic sync.mutations.dlq is used by a service but has no KafkaTopic
          hpa-above-partitions    | autoscalers                 | maxReplicas 16 > 12 partitions
          keda-above-partitions   | autoscalers                 | maxReplicaCount 24 > 12 partitions
          two-autoscalers         | autoscalers                 | Deployment change-log-service has 2 autoscalers
          grace-too-short         | grace periods               | Deployment sync-api: terminationGracePeriodSeconds 40 must exceed 30 s
          media-filesystem-scaled | media storage               | scales past 1 with the filesystem store
          missing-secret          | references                  | QUARKUS_DATASOURCE_PASSWORD reads missing sync-pg-nope/password
          no-namespace            | namespaces                  | ConfigMap extra: no namespace
          strimzi-v1beta2         | typed models and schemas    | unknown kind kafka.strimzi.io/v1beta2/KafkaTopic
          strimzi-removed-field   | typed models and schemas    | KafkaUser media-service.spec.authorization.acls[0].operation: unknown field
          strimzi-bad-enum        | typed models and schemas    | listeners[0].type: 'internel' is not one of
          cnpg-unknown-field      | typed models and schemas    | Pooler sync-pg-pooler-rw: does not load as postgresql.cnpg.io/v1/Pooler
          cnpg-wrong-type         | typed models and schemas    | Cluster sync-pg: does not load as postgresql.cnpg.io/v1/Cluster
          placeholder-secret      | secrets                     | Secret extra-credentials: key password holds a placeholder value
          probe-no-timeout        | ports and probes            | Deployment sync-api: readinessProbe needs its own timeoutSeconds >= 2
          stale-checksum          | config checksum             | Deployment change-log-service: annotation syncforge.io/config-checksum is
          connection-budget       | connection budget           | Cluster sync-pg: up to 292 connections to the primary
          known-cursor-key        | secrets                     | Secret sync-api-cursor-copy: key cursor-key holds a placeholder value
          """;

  static Stream<Arguments> fixtures() {
    return TABLE
        .lines()
        .filter(l -> !l.isBlank())
        .map(l -> l.split("\\|"))
        .map(c -> Arguments.of(c[0].trim(), c[1].trim(), c[2].trim()));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("fixtures")
  void checkRejectsBrokenFixture(String fixture, String check, String expected) {
    Checks checks = Repo.checks(Repo.FIXTURES.resolve("broken").resolve(fixture));
    Supplier<List<String>> c = checks.named().get(check);
    assertTrue(c != null, "no check named " + check);
    List<String> violations = c.get();
    assertTrue(
        violations.stream().anyMatch(v -> v.contains(expected)),
        check
            + " did not report '"
            + expected
            + "' for "
            + fixture
            + "; it reported "
            + violations);
  }

  @Test
  void environmentCheckRejectsAVariableThatMapsToNoConfigKey() {
    Checks checks = Repo.checks(Repo.FIXTURES.resolve("broken/env-unknown-key"));
    assertEquals(
        List.of(
            "Deployment change-log-service: SYNC_CHANGELOG_PARTITION maps to no config key of"
                + " change-log-service"),
        checks.environment("change-log-service"));
  }

  @Test
  void environmentCheckFailsOncePendingKeysExistSoTheListIsCleanedUp() {
    Path fakeRepo = Repo.FIXTURES.resolve("fake-repo");
    Map<String, Optional<ServiceConfig>> services = Repo.services(fakeRepo);
    // As the list stood before the S3 store landed (now it is empty).
    Checks checks =
        new Checks(
            Manifests.of(Render.overlay(Repo.K8S.resolve("overlays/dev"))),
            services,
            Map.of("media-service", Set.of("sync.media.store", "sync.media.s3.bucket")));
    assertTrue(
        checks.environment("media-service").stream()
            .anyMatch(v -> v.contains("pending key sync.media.store now exists")),
        checks.environment("media-service").toString());
  }

  @Test
  void everyBrokenFixtureIsExercised() throws Exception {
    Set<String> tested = new TreeSet<>();
    fixtures().forEach(a -> tested.add((String) a.get()[0]));
    tested.add("env-unknown-key");
    try (Stream<Path> dirs = Files.list(Repo.FIXTURES.resolve("broken"))) {
      assertEquals(
          tested,
          dirs.map(d -> d.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new)));
    }
  }
}
