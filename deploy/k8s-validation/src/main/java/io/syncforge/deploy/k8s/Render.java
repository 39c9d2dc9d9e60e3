package io.syncforge.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization the way a cluster operator will: with the real {@code kubectl kustomize}
 * (Kustomize v5) when {@code kubectl} is on the PATH. Without it, CI ({@code CI=true}) fails; a
 * developer's laptop falls back to the in-repo {@link Kustomize} subset with a warning on stderr.
 * {@code RenderTest} proves both renderings equal wherever both exist.
 */
public final class Render {

  private Render() {}

  /** Renders {@code dir} with the process environment deciding kubectl, CI and the fallback. */
  public static List<ObjectNode> overlay(Path dir) {
    return overlay(dir, System.getenv());
  }

  /** As {@link #overlay(Path)}, with an explicit environment ({@code PATH}, {@code CI}). */
  static List<ObjectNode> overlay(Path dir, Map<String, String> env) {
    Optional<Path> kubectl = kubectl(env);
    if (kubectl.isPresent()) {
      return withKubectl(kubectl.get(), dir);
    }
    if ("true".equalsIgnoreCase(env.getOrDefault("CI", ""))) {
      throw new IllegalStateException(
          "CI=true but no kubectl on the PATH: CI must render deploy/k8s with the real"
              + " `kubectl kustomize` (install kubectl >= 1.27, Kustomize v5)");
    }
    System.err.println(
        "WARNING: kubectl not found on the PATH; rendering "
            + dir
            + " with the in-repo Kustomize subset (io.syncforge.deploy.k8s.Kustomize) instead of"
            + " `kubectl kustomize`. CI uses the real tool.");
    return Kustomize.render(dir);
  }

  /** The kubectl executable on {@code PATH}, if any. */
  static Optional<Path> kubectl(Map<String, String> env) {
    String path = env.getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, "kubectl");
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** {@code kubectl kustomize dir}, parsed; a non-zero exit is a {@link KustomizeException}. */
  static List<ObjectNode> withKubectl(Path kubectl, Path dir) {
    try {
      Process p =
          new ProcessBuilder(kubectl.toString(), "kustomize", dir.toAbsolutePath().toString())
              .redirectErrorStream(false)
              .start();
      p.getOutputStream().close();
      byte[] out;
      byte[] err;
      try (InputStream o = p.getInputStream();
          InputStream e = p.getErrorStream()) {
        ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
        Thread t = new Thread(() -> copy(e, errBuf));
        t.start();
        out = o.readAllBytes();
        t.join(TimeUnit.SECONDS.toMillis(60));
        err = errBuf.toByteArray();
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new Kustomize.KustomizeException(
            "kubectl kustomize " + dir + " did not finish in 60 s");
      }
      if (p.exitValue() != 0) {
        String msg = new String(err, StandardCharsets.UTF_8);
        throw new Kustomize.KustomizeException(
            "kubectl kustomize "
                + dir
                + " failed (exit "
                + p.exitValue()
                + "): "
                + msg.lines().limit(5).reduce("", (a, b) -> a + b + "\n").strip());
      }
      List<ObjectNode> docs = new ArrayList<>();
      try (MappingIterator<JsonNode> it =
          Kustomize.YAML.readerFor(JsonNode.class).readValues(out)) {
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n != null && n.isObject() && !n.isEmpty()) {
            docs.add((ObjectNode) n);
          }
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException ignored) {
      // the exit code tells
    }
  }
}
