package io.syncforge.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What can be tested of the images without a registry: the opt-in profile of the root pom (never in
 * the default build), its tag scheme and build-time settings, and the overlays' image references
 * (one {@code images:} place; a release's digests land in every container).
 */
class ImagesTest {

  static String imagesProfile() throws Exception {
    String pom = Files.readString(Repo.ROOT.resolve("pom.xml"));
    Matcher m =
        Pattern.compile("<profile>\\s*<id>images</id>(.*?)</profile>", Pattern.DOTALL).matcher(pom);
    assertTrue(m.find(), "root pom has no images profile");
    return m.group(1);
  }

  @Test
  void theImagesProfileIsOptInAndBuildsWithJib() throws Exception {
    String p = imagesProfile();
    assertFalse(
        p.contains("activeByDefault") || p.contains("<activation>"), "images must be opt-in");
    assertTrue(p.contains("<artifactId>quarkus-container-image-jib</artifactId>"));
    assertTrue(p.contains("<quarkus.container-image.build>true</quarkus.container-image.build>"));
    String pom = Files.readString(Repo.ROOT.resolve("pom.xml"));
    String outside = pom.replace(p, "").replaceAll("(?s)<!--.*?-->", "");
    assertFalse(
        outside.contains("quarkus-container-image"), "the image extension outside the profile");
  }

  @Test
  void tagIsVersionPlusGitCommit() throws Exception {
    String p = imagesProfile();
    assertTrue(
        p.contains(
            "<quarkus.container-image.tag>${project.version}-${git.commit.id.abbrev}</quarkus.container-image.tag>"),
        p);
    assertTrue(p.contains("<artifactId>git-commit-id-maven-plugin</artifactId>"));
  }

  /** The probes and the PodMonitor use port 9000: only there if the images enable it at build. */
  @Test
  void imagesEnableTheManagementInterfaceTheProbesUse() throws Exception {
    assertTrue(
        imagesProfile().contains("<quarkus.management.enabled>true</quarkus.management.enabled>"));
    // and nowhere else: the local stack and the tests keep /q/health on the main port
    for (String svc : Checks.SERVICES) {
      String props =
          Files.readString(
              Repo.ROOT.resolve(svc).resolve("src/main/resources/application.properties"));
      assertFalse(props.contains("quarkus.management.enabled"), svc);
    }
  }

  @Test
  void baseIsTheOnePlaceForImagesAndReleasesPinDigests() throws Exception {
    JsonNode k = Kustomize.YAML.readTree(Repo.K8S.resolve("base/kustomization.yaml").toFile());
    assertEquals(3, k.path("images").size());
    for (JsonNode i : k.path("images")) {
      assertTrue(
          i.path("newTag").asText().matches(".+-[0-9a-f]{7,40}"),
          "base tag must have the <version>-<commit> form: " + i);
    }
    List<ObjectNode> release = Render.overlay(Repo.FIXTURES.resolve("kustomize/release-digest"));
    int containers = 0;
    for (ObjectNode o : release) {
      for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
        if (o.path("kind").asText().equals("Deployment")) {
          assertTrue(
              c.path("image")
                  .asText()
                  .matches("registry\\.example\\.com/syncforge/[a-z-]+@sha256:[0-9a-f]{64}"),
              c.path("image").asText());
          containers++;
        }
      }
    }
    assertEquals(3, containers);
  }

  @Test
  void aDigestThatIsNotSha256IsRefused() {
    Kustomize.KustomizeException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            Kustomize.KustomizeException.class,
            () -> Kustomize.render(Repo.FIXTURES.resolve("kustomize/bad-digest")));
    assertTrue(e.getMessage().contains("digest is not sha256"), e.getMessage());
  }
}
