package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The renderer does what kustomize does for the features used, and refuses everything else. */
class KustomizeTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          missing-resource       | resource 'nope.yaml' does not exist
          missing-patch          | patch file 'nope.yaml' does not exist
          patch-missing-object   | patch targets apps/v1 Deployment sync-apy, which matches 0 objects
          unsupported-field      | unsupported kustomization field 'commonAnnotations'
          unsupported-list-merge | list 'ports' is in both the object and the patch
          json6902               | unsupported patches field 'target'
          outside-root           | is outside the kustomization root
          unused-image           | images entry 'syncforge/sync-apii' matches no container
          """)
  void refusesWhatItCannotRender(String fixture, String expected) {
    var e =
        assertThrows(
            Kustomize.KustomizeException.class,
            () -> Kustomize.render(Repo.FIXTURES.resolve("kustomize").resolve(fixture)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static JsonNode yaml(String s) throws Exception {
    return Kustomize.YAML.readTree(s);
  }

  @Test
  void strategicMergeMergesContainersAndEnvByNameAndDeletesNulls() throws Exception {
    JsonNode base =
        yaml(
            """
            spec:
              containers:
                - name: a
                  image: x
                  env: [{name: A, value: "1"}, {name: B, value: "2"}]
                  startupProbe: {periodSeconds: 1}
                - name: b
                  image: y
            """);
    JsonNode patch =
        yaml(
            """
            spec:
              containers:
                - name: a
                  env: [{name: B, value: "3"}, {name: C, value: "4"}]
                  startupProbe: null
            """);
    JsonNode merged = Kustomize.merge(base, patch, true, "", "test");
    JsonNode a = merged.path("spec").path("containers").get(0);
    assertEquals("x", a.path("image").asText());
    // Kustomize v5's order (checked with kubectl kustomize): the patch's items first, then the
    // object's items the patch does not name.
    assertEquals(
        "[{\"name\":\"B\",\"value\":\"3\"},{\"name\":\"C\",\"value\":\"4\"},{\"name\":\"A\",\"value\":\"1\"}]",
        a.path("env").toString());
    assertTrue(a.path("startupProbe").isMissingNode());
    assertEquals(2, merged.path("spec").path("containers").size());
  }

  @Test
  void customResourcesGetJsonMergeWhereListsAreReplaced() throws Exception {
    JsonNode base = yaml("spec: {roles: [controller, broker], replicas: 3}");
    JsonNode merged = Kustomize.merge(base, yaml("spec: {roles: [broker]}"), false, "", "test");
    assertEquals("{\"spec\":{\"roles\":[\"broker\"],\"replicas\":3}}", merged.toString());
  }

  @Test
  void namespaceLabelsAndImagesApplyToEveryObject() {
    List<ObjectNode> out = Kustomize.render(Repo.K8S.resolve("base"));
    for (ObjectNode o : out) {
      assertEquals(
          "syncforge",
          o.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText());
      if (!o.path("kind").asText().equals("Namespace")) {
        assertEquals("syncforge", o.path("metadata").path("namespace").asText(), Manifests.id(o));
      }
    }
    assertEquals(
        "registry.example.com/syncforge/sync-api:1.0", imageOf("syncforge/sync-api:0.9", "1.0"));
  }

  private static String imageOf(String image, String tag) {
    assertEquals("syncforge/sync-api", Kustomize.imageName(image));
    return "registry.example.com/" + Kustomize.imageName(image) + ":" + tag;
  }

  @Test
  void builtInKindsAreTheKubernetesGroups() {
    assertTrue(Kustomize.isBuiltIn("v1"));
    assertTrue(Kustomize.isBuiltIn("apps/v1"));
    assertTrue(Kustomize.isBuiltIn("networking.k8s.io/v1"));
    assertTrue(!Kustomize.isBuiltIn("kafka.strimzi.io/v1beta2"));
  }
}
