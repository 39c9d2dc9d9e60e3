package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code kubectl kustomize} and the in-repo subset render the same objects. */
class RenderTest {

  @Test
  void ciWithoutKubectlFails(@TempDir Path emptyBin) {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Render.overlay(
                    Repo.K8S.resolve("overlays/dev"),
                    Map.of("PATH", emptyBin.toString(), "CI", "true")));
    assertTrue(e.getMessage().contains("CI=true but no kubectl"), e.getMessage());
  }

  @Test
  void aLaptopWithoutKubectlFallsBackToTheInRepoRenderer(@TempDir Path emptyBin) {
    List<ObjectNode> r =
        Render.overlay(Repo.K8S.resolve("overlays/dev"), Map.of("PATH", emptyBin.toString()));
    assertEquals(byId(Kustomize.render(Repo.K8S.resolve("overlays/dev"))), byId(r));
  }

  @Test
  void ciMachinesHaveKubectl() {
    assumeTrue("true".equalsIgnoreCase(System.getenv("CI")), "not CI");
    assertTrue(Render.kubectl(System.getenv()).isPresent(), "CI=true and no kubectl on the PATH");
  }

  /** Every overlay and every broken fixture: both renderers agree, object by object. */
  @TestFactory
  Stream<DynamicTest> bothRenderersAgree() throws Exception {
    var kubectl = Render.kubectl(System.getenv());
    List<Path> dirs = new ArrayList<>();
    for (String o : OverlaysTest.OVERLAYS) {
      dirs.add(Repo.K8S.resolve("overlays").resolve(o));
    }
    dirs.add(Repo.FIXTURES.resolve("kustomize/release-digest"));
    try (Stream<Path> s = Files.list(Repo.FIXTURES.resolve("broken"))) {
      s.sorted().forEach(dirs::add);
    }
    return dirs.stream()
        .map(
            d ->
                DynamicTest.dynamicTest(
                    Repo.ROOT.relativize(d).toString(),
                    () -> {
                      assumeTrue(kubectl.isPresent(), "no kubectl on the PATH");
                      Map<String, JsonNode> ours = byId(Kustomize.render(d));
                      Map<String, JsonNode> real = byId(Render.withKubectl(kubectl.get(), d));
                      assertEquals(real.keySet(), ours.keySet());
                      List<String> diffs = new ArrayList<>();
                      real.forEach((id, o) -> diff(id, o, ours.get(id), diffs));
                      assertEquals(List.of(), diffs);
                    }));
  }

  private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
    if (a.equals(b)) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      var names = new java.util.TreeSet<String>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        if (!a.has(n) || !b.has(n)) {
          out.add(path + "." + n + ": kubectl " + a.get(n) + ", in-repo " + b.get(n));
        } else {
          diff(path + "." + n, a.get(n), b.get(n), out);
        }
      }
    } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++) {
        diff(path + "[" + i + "]", a.get(i), b.get(i), out);
      }
    } else {
      out.add(path + ": kubectl " + a + ", in-repo " + b);
    }
  }

  private static Map<String, JsonNode> byId(List<ObjectNode> objects) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (ObjectNode o : objects) {
      String id =
          o.path("apiVersion").asText()
              + "/"
              + o.path("kind").asText()
              + "/"
              + o.path("metadata").path("namespace").asText()
              + "/"
              + o.path("metadata").path("name").asText();
      assertTrue(out.put(id, o) == null, "rendered twice: " + id);
    }
    return out;
  }
}
