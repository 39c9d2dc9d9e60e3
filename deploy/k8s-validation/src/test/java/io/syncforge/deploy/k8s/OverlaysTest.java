package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every overlay of deploy/k8s renders and passes every check against this repository. */
class OverlaysTest {

  static final List<String> OVERLAYS = List.of("dev", "prod", "prod-keda");

  @TestFactory
  Stream<DynamicTest> everyCheckPassesOnEveryOverlay() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String overlay : OVERLAYS) {
      Checks checks = Repo.checks(Repo.K8S.resolve("overlays").resolve(overlay));
      checks
          .named()
          .forEach(
              (name, check) ->
                  tests.add(
                      DynamicTest.dynamicTest(
                          overlay + ": " + name,
                          () -> assertEquals(List.of(), check.get(), overlay + ": " + name))));
    }
    return tests.stream();
  }

  /**
   * Skipped (not passed) for a service whose module is not in this repository yet: then nothing
   * says which keys it has.
   */
  @TestFactory
  Stream<DynamicTest> everyEnvironmentVariableMapsToAConfigKey() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String overlay : OVERLAYS) {
      for (String svc : Checks.SERVICES) {
        tests.add(
            DynamicTest.dynamicTest(
                overlay + ": environment of " + svc,
                () -> {
                  assumeTrue(
                      Repo.services().get(svc).isPresent(),
                      svc
                          + "/ is not in this repository yet: its environment variables are not"
                          + " checked against its config keys");
                  Checks checks = Repo.checks(Repo.K8S.resolve("overlays").resolve(overlay));
                  assertEquals(List.of(), checks.environment(svc));
                }));
      }
    }
    return tests.stream();
  }

  @Test
  void changeLogServiceIsInTheRepositorySoItsEnvironmentIsReallyChecked() {
    assertTrue(Repo.services().get("change-log-service").isPresent());
  }

  @Test
  void devRunsOneReplicaOfEachServiceAndNoAutoscaler() {
    Manifests m = Manifests.of(Render.overlay(Repo.K8S.resolve("overlays/dev")));
    assertEquals(3, m.all(Deployment.class).size());
    m.all(Deployment.class)
        .forEach(d -> assertEquals(1, d.getSpec().getReplicas(), d.getMetadata().getName()));
    assertEquals(List.of(), m.all(HorizontalPodAutoscaler.class));
    assertEquals(1, m.custom("KafkaNodePool").get(0).path("spec").path("replicas").asInt());
  }

  @Test
  void prodHasAnAutoscalerPerServiceAndSpreadsPods() {
    Manifests m = Manifests.of(Render.overlay(Repo.K8S.resolve("overlays/prod")));
    assertEquals(
        List.of("change-log-service", "media-service", "sync-api"),
        m.all(HorizontalPodAutoscaler.class).stream()
            .map(h -> h.getSpec().getScaleTargetRef().getName())
            .sorted()
            .toList());
    for (Deployment d : m.all(Deployment.class)) {
      assertEquals(2, d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().size());
      // The strategic merge kept the base container (probes, env) under the patched resources.
      var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertTrue(
          c.getReadinessProbe() != null && !c.getEnvFrom().isEmpty(), d.getMetadata().getName());
      assertEquals("1536Mi", c.getResources().getLimits().get("memory").toString());
    }
  }

  @Test
  void prodKedaReplacesTheCpuAutoscalerOfChangeLogService() {
    Manifests m = Manifests.of(Render.overlay(Repo.K8S.resolve("overlays/prod-keda")));
    assertEquals(
        List.of("media-service", "sync-api"),
        m.all(HorizontalPodAutoscaler.class).stream()
            .map(h -> h.getMetadata().getName())
            .sorted()
            .toList());
    List<JsonNode> so = m.custom("ScaledObject");
    assertEquals(1, so.size());
    assertEquals("syncforge", so.get(0).path("metadata").path("namespace").asText());
  }

  @Test
  void imagesArePinnedInOnePlace() throws Exception {
    for (String overlay : OVERLAYS) {
      JsonNode k =
          Kustomize.YAML.readTree(
              Repo.K8S.resolve("overlays").resolve(overlay).resolve("kustomization.yaml").toFile());
      assertTrue(!k.has("images"), overlay + " repeats images: they belong in base only");
    }
    for (String overlay : OVERLAYS) {
      for (ObjectNode o : Render.overlay(Repo.K8S.resolve("overlays").resolve(overlay))) {
        for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
          assertTrue(
              c.path("image")
                  .asText()
                  .matches("registry\\.example\\.com/syncforge/[a-z-]+(:.+|@sha256:[0-9a-f]{64})"),
              overlay + ": " + c.path("image").asText());
        }
      }
    }
  }
}
