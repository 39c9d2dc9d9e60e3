package io.syncforge.deploy.k8s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The repository this build runs in: its manifests and its services' configuration. */
final class Repo {

  /** The repository root: the nearest ancestor of the working directory holding deploy/k8s. */
  static final Path ROOT = findRoot();

  static final Path K8S = ROOT.resolve("deploy/k8s");

  /** Broken fixtures live in the source tree, so that their relative paths reach deploy/k8s. */
  static final Path FIXTURES = ROOT.resolve("deploy/k8s-validation/src/test/resources");

  private Repo() {}

  static Map<String, Optional<ServiceConfig>> services() {
    return services(ROOT);
  }

  static Map<String, Optional<ServiceConfig>> services(Path root) {
    Map<String, Optional<ServiceConfig>> out = new LinkedHashMap<>();
    for (String s : Checks.SERVICES) {
      out.put(s, ServiceConfig.load(root, s));
    }
    return out;
  }

  static Checks checks(Path kustomization) {
    return new Checks(Manifests.of(Render.overlay(kustomization)), services());
  }

  private static Path findRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null) {
      if (Files.isDirectory(p.resolve("deploy/k8s")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException(
        "no repository root with deploy/k8s above the working directory");
  }
}
