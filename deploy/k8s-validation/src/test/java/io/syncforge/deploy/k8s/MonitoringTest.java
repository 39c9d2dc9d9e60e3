package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s/monitoring: the PodMonitor scrapes a port every service has, the dashboard is valid
 * JSON (and the ConfigMap carries the same), and every series the alerts and the dashboard use is
 * in metrics.txt, the list the services' own ExportedMetricsTest scrapes /q/metrics for.
 */
class MonitoringTest {

  static final Path DIR = Repo.K8S.resolve("monitoring");

  /** Our series: the services' own (sync_*) and Quarkus' HTTP server metrics. */
  private static final Pattern SERIES = Pattern.compile("\\b((?:sync|http_server)_[a-z0-9_]+)\\b");

  static Set<String> listed() throws Exception {
    Set<String> out = new TreeSet<>();
    for (String l : Files.readAllLines(DIR.resolve("metrics.txt"))) {
      if (!l.isBlank() && !l.startsWith("#")) {
        out.add(l.trim().split("\\s+")[1]);
      }
    }
    return out;
  }

  @Test
  void rendersAndLoadsIntoTheSchemas() {
    Manifests m = Manifests.of(Render.overlay(DIR));
    assertEquals(List.of(), m.violations());
    assertEquals(1, m.custom("PodMonitor").size());
    assertEquals(1, m.custom("PrometheusRule").size());
  }

  @Test
  void podMonitorScrapesAPortEveryServiceHas() {
    Manifests mon = Manifests.of(Render.overlay(DIR));
    String port =
        mon.custom("PodMonitor")
            .get(0)
            .path("spec")
            .path("podMetricsEndpoints")
            .get(0)
            .path("port")
            .asText();
    for (String overlay : OverlaysTest.OVERLAYS) {
      Manifests m = Manifests.of(Render.overlay(Repo.K8S.resolve("overlays").resolve(overlay)));
      for (Deployment d : m.all(Deployment.class)) {
        assertTrue(
            d.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .anyMatch(p -> port.equals(p.getName())),
            overlay + ": " + d.getMetadata().getName() + " has no port named " + port);
      }
    }
  }

  @Test
  void dashboardIsJsonAndTheConfigMapCarriesIt() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode file = json.readTree(DIR.resolve("dashboard.json").toFile());
    assertTrue(file.path("panels").size() >= 6);
    JsonNode cm =
        Manifests.of(Render.overlay(DIR)).raw().stream()
            .filter(o -> o.path("kind").asText().equals("ConfigMap"))
            .findFirst()
            .orElseThrow();
    assertEquals(file, json.readTree(cm.path("data").path("syncforge.json").asText()));
  }

  @Test
  void everySeriesUsedIsOneTheServicesExport() throws Exception {
    List<String> exprs = new ArrayList<>();
    Manifests.of(Render.overlay(DIR))
        .custom("PrometheusRule")
        .forEach(
            r ->
                r.path("spec")
                    .path("groups")
                    .forEach(
                        g -> g.path("rules").forEach(x -> exprs.add(x.path("expr").asText()))));
    new ObjectMapper()
        .readTree(DIR.resolve("dashboard.json").toFile())
        .path("panels")
        .forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    assertFalse(exprs.isEmpty());
    Set<String> used = new TreeSet<>();
    for (String e : exprs) {
      Matcher mt = SERIES.matcher(e);
      while (mt.find()) {
        used.add(mt.group(1));
      }
    }
    Set<String> unknown = new TreeSet<>(used);
    unknown.removeAll(listed());
    assertEquals(Set.of(), unknown, "series used by alerts/dashboard but not in metrics.txt");
  }

  @Test
  void aMisspeltSeriesIsCaught() throws Exception {
    Matcher mt = SERIES.matcher("rate(sync_mutations_aplied_total[5m])");
    assertTrue(mt.find());
    assertFalse(listed().contains(mt.group(1)));
  }
}
