package io.syncforge.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of Kustomize that deploy/k8s uses, and nothing more: {@code resources} (files and
 * directories with their own kustomization), {@code patches} (strategic merge from a file; {@code
 * $patch: delete} of a whole object), {@code namespace}, {@code labels} ({@code pairs}, {@code
 * includeTemplates}) and {@code images}. Anything else is refused with a {@link KustomizeException}
 * rather than rendered differently from {@code kubectl kustomize}.
 */
public final class Kustomize {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final com.fasterxml.jackson.databind.node.JsonNodeFactory JSON_NODES =
      com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;

  private static final Set<String> FIELDS =
      Set.of("apiVersion", "kind", "resources", "namespace", "labels", "images", "patches");
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

  /**
   * Lists merged by a key in a strategic-merge patch (their patchMergeKey in the Kubernetes API).
   * Any other list present in both the object and the patch is refused: its semantics are not
   * implemented here.
   */
  private static final Map<String, String> MERGE_KEYS =
      Map.of(
          "containers", "name",
          "initContainers", "name",
          "env", "name",
          "volumes", "name",
          "volumeMounts", "mountPath");

  private Kustomize() {}

  /** Renders the kustomization in {@code dir}. */
  public static List<ObjectNode> render(Path kustomizationDir) {
    Path dir = kustomizationDir.toAbsolutePath().normalize();
    Path file = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(file)) {
      throw new KustomizeException("no kustomization.yaml in " + dir);
    }
    List<JsonNode> docs = readYaml(file);
    if (docs.size() != 1 || !docs.get(0).isObject()) {
      throw new KustomizeException(file + ": expected one mapping");
    }
    JsonNode k = docs.get(0);
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field)) {
        throw new KustomizeException(file + ": unsupported kustomization field '" + field + "'");
      }
    }
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path p = dir.resolve(r.asText()).normalize();
      if (Files.isDirectory(p)) {
        out.addAll(render(p));
      } else if (Files.isRegularFile(p)) {
        requireInside(file, dir, p);
        for (JsonNode doc : readYaml(p)) {
          if (!doc.isObject()) {
            throw new KustomizeException(p + ": a resource must be a mapping");
          }
          out.add((ObjectNode) doc);
        }
      } else {
        throw new KustomizeException(file + ": resource '" + r.asText() + "' does not exist");
      }
    }
    for (JsonNode patch : k.path("patches")) {
      applyPatchEntry(file, dir, patch, out);
    }
    if (k.has("namespace")) {
      for (ObjectNode o : out) {
        if (!CLUSTER_SCOPED.contains(o.path("kind").asText())) {
          metadata(o).put("namespace", k.get("namespace").asText());
        }
      }
    }
    for (JsonNode l : k.path("labels")) {
      applyLabels(file, l, out);
    }
    for (JsonNode image : k.path("images")) {
      applyImage(file, image, out);
    }
    return out;
  }

  private static void applyPatchEntry(Path file, Path dir, JsonNode entry, List<ObjectNode> out) {
    for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("path")) {
        throw new KustomizeException(file + ": unsupported patches field '" + f + "'");
      }
    }
    Path p = dir.resolve(entry.path("path").asText()).normalize();
    if (!Files.isRegularFile(p)) {
      throw new KustomizeException(
          file + ": patch file '" + entry.path("path").asText() + "' does not exist");
    }
    requireInside(file, dir, p);
    for (JsonNode patch : readYaml(p)) {
      if (!patch.isObject()) {
        throw new KustomizeException(p + ": only strategic-merge patches (mappings) are supported");
      }
      String apiVersion = patch.path("apiVersion").asText();
      String kind = patch.path("kind").asText();
      String name = patch.path("metadata").path("name").asText();
      String ns = patch.path("metadata").path("namespace").asText(null);
      List<ObjectNode> targets =
          out.stream()
              .filter(o -> o.path("apiVersion").asText().equals(apiVersion))
              .filter(o -> o.path("kind").asText().equals(kind))
              .filter(o -> o.path("metadata").path("name").asText().equals(name))
              .filter(o -> ns == null || ns.equals(o.path("metadata").path("namespace").asText()))
              .toList();
      String id = apiVersion + " " + kind + " " + name;
      if (targets.size() != 1) {
        throw new KustomizeException(
            p + ": patch targets " + id + ", which matches " + targets.size() + " objects");
      }
      ObjectNode target = targets.get(0);
      JsonNode directive = patch.get("$patch");
      if (directive != null) {
        if (!directive.asText().equals("delete")) {
          throw new KustomizeException(p + ": unsupported $patch: " + directive.asText());
        }
        out.remove(target);
        continue;
      }
      boolean strategic = isBuiltIn(apiVersion);
      ObjectNode merged = (ObjectNode) merge(target, patch, strategic, "", p + " (" + id + ")");
      out.set(out.indexOf(target), merged);
    }
  }

  /** Like kustomize's default load restriction: files come from the kustomization's own tree. */
  private static void requireInside(Path file, Path dir, Path p) {
    if (!p.startsWith(dir.normalize())) {
      throw new KustomizeException(file + ": " + p + " is outside the kustomization root");
    }
  }

  /** Kubernetes' own kinds get strategic merge; custom resources get JSON merge (RFC 7386). */
  static boolean isBuiltIn(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    if (slash < 0) {
      return true;
    }
    String group = apiVersion.substring(0, slash);
    return !group.contains(".") || group.endsWith(".k8s.io");
  }

  static JsonNode merge(JsonNode base, JsonNode patch, boolean strategic, String field, String at) {
    if (patch.isObject()) {
      if (base == null || !base.isObject()) {
        return stripNulls(patch.deepCopy(), at);
      }
      ObjectNode result = ((ObjectNode) base).deepCopy();
      for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().startsWith("$")) {
          throw new KustomizeException(at + ": unsupported directive " + e.getKey());
        }
        if (e.getValue().isNull()) {
          result.remove(e.getKey());
        } else {
          result.set(
              e.getKey(), merge(result.get(e.getKey()), e.getValue(), strategic, e.getKey(), at));
        }
      }
      return result;
    }
    if (patch.isArray() && strategic && base != null && base.isArray()) {
      String key = MERGE_KEYS.get(field);
      if (key == null) {
        throw new KustomizeException(
            at
                + ": list '"
                + field
                + "' is in both the object and the patch; its strategic-merge"
                + " semantics are not implemented by this renderer");
      }
      // As Kustomize v5 (kyaml) merges: the patch's items first, in the patch's order (merged into
      // the object's item of the same key, or new), then the object's items the patch does not
      // name, in their order. RenderTest holds this to `kubectl kustomize`.
      ArrayNode result = JSON_NODES.arrayNode();
      List<JsonNode> rest = new ArrayList<>();
      base.forEach(rest::add);
      for (JsonNode item : patch) {
        if (!item.has(key)) {
          throw new KustomizeException(at + ": an item of '" + field + "' has no " + key);
        }
        JsonNode found = null;
        for (Iterator<JsonNode> it = rest.iterator(); it.hasNext(); ) {
          JsonNode b = it.next();
          if (b.path(key).equals(item.get(key))) {
            found = b;
            it.remove();
          }
        }
        result.add(
            found == null
                ? stripNulls(item.deepCopy(), at)
                : merge(found.deepCopy(), item, true, "", at));
      }
      rest.forEach(b -> result.add(b.deepCopy()));
      return result;
    }
    if (patch.isArray()) {
      for (JsonNode item : patch) {
        stripNulls(item, at);
      }
    }
    return patch.deepCopy();
  }

  private static JsonNode stripNulls(JsonNode node, String at) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().startsWith("$")) {
          throw new KustomizeException(at + ": unsupported directive " + e.getKey());
        }
        if (e.getValue().isNull()) {
          it.remove();
        } else {
          stripNulls(e.getValue(), at);
        }
      }
    }
    return node;
  }

  private static void applyLabels(Path file, JsonNode entry, List<ObjectNode> out) {
    for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("pairs", "includeTemplates").contains(f)) {
        throw new KustomizeException(file + ": unsupported labels field '" + f + "'");
      }
    }
    boolean templates = entry.path("includeTemplates").asBoolean(false);
    for (ObjectNode o : out) {
      ObjectNode labels = child(metadata(o), "labels");
      labels.setAll((ObjectNode) entry.get("pairs"));
      if (templates && o.path("spec").path("template").isObject()) {
        ObjectNode tmeta = child((ObjectNode) o.get("spec").get("template"), "metadata");
        child(tmeta, "labels").setAll((ObjectNode) entry.get("pairs"));
      }
    }
  }

  private static void applyImage(Path file, JsonNode entry, List<ObjectNode> out) {
    for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("name", "newName", "newTag", "digest").contains(f)) {
        throw new KustomizeException(file + ": unsupported images field '" + f + "'");
      }
    }
    String name = entry.path("name").asText();
    String digest = entry.has("digest") ? entry.get("digest").asText() : null;
    if (digest != null && !digest.matches("sha256:[0-9a-f]{64}")) {
      throw new KustomizeException(
          file + ": images entry '" + name + "': digest is not sha256:<64 hex>");
    }
    int used = 0;
    for (ObjectNode o : out) {
      JsonNode pod = o.path("spec").path("template").path("spec");
      for (String list : List.of("containers", "initContainers")) {
        for (JsonNode c : pod.path(list)) {
          String image = c.path("image").asText();
          String repo = imageName(image);
          if (!repo.equals(name)) {
            continue;
          }
          String tag = image.length() > repo.length() ? image.substring(repo.length() + 1) : null;
          String newName = entry.path("newName").asText(repo);
          String newTag = entry.has("newTag") ? entry.get("newTag").asText() : tag;
          // A release pins by digest; Kustomize then drops the tag.
          ((ObjectNode) c)
              .put(
                  "image",
                  digest != null
                      ? newName + "@" + digest
                      : newTag == null ? newName : newName + ":" + newTag);
          used++;
        }
      }
    }
    if (used == 0) {
      // kustomize ignores it; here it is almost certainly a typo that leaves an image unpinned.
      throw new KustomizeException(file + ": images entry '" + name + "' matches no container");
    }
  }

  /** The image without its tag (a ':' after the last '/'). */
  static String imageName(String image) {
    int colon = image.lastIndexOf(':');
    return colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
  }

  private static ObjectNode metadata(ObjectNode o) {
    return child(o, "metadata");
  }

  private static ObjectNode child(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isObject()) {
      return o.putObject(field);
    }
    return (ObjectNode) n;
  }

  /** Every non-empty document of a YAML file. */
  static List<JsonNode> readYaml(Path file) {
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      List<JsonNode> docs = new ArrayList<>();
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add(doc);
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** A kustomization this renderer cannot or will not render. */
  public static final class KustomizeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KustomizeException(String message) {
      super(message);
    }
  }
}
