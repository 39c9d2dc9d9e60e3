package io.syncforge.deploy.k8s;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration a service module declares, read from the repository: its {@code
 * application.properties} (every profile), its {@code @ConfigMapping} interfaces and
 * {@code @ConfigProperty} injections (its own sources and those of sibling modules it depends on),
 * and the framework prefixes its Quarkus extensions own.
 */
public final class ServiceConfig {

  private static final Pattern MAPPING =
      Pattern.compile(
          "@ConfigMapping\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"[^)]*\\)[^{]*?interface\\s+(\\w+)");
  private static final Pattern INTERFACE = Pattern.compile("\\binterface\\s+(\\w+)[^{;]*\\{");
  private static final Pattern METHOD =
      Pattern.compile(
          "(?m)^\\s*((?:@\\w+(?:\\([^)]*\\))?\\s*)*)([\\w.]+(?:<[^;(){}]*>)?)\\s+(\\w+)\\(\\)\\s*;");
  private static final Pattern WITH_DEFAULT = Pattern.compile("@WithDefault\\(\\s*\"([^\"]*)\"");
  private static final Pattern WITH_NAME = Pattern.compile("@WithName\\(\\s*\"([^\"]*)\"");
  private static final Pattern CONFIG_PROPERTY =
      Pattern.compile(
          "@ConfigProperty\\(\\s*name\\s*=\\s*\"([^\"]+)\"(?:\\s*,\\s*defaultValue\\s*=\\s*\"([^\"]*)\")?");
  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");

  private final String name;
  private final Set<String> keys = new TreeSet<>();
  private final Set<String> mapPrefixes = new TreeSet<>();
  private final Set<String> frameworkPrefixes = new LinkedHashSet<>();
  private final Map<String, String> defaults = new HashMap<>();
  private final Map<String, String> baseValues = new HashMap<>();
  private final Map<String, String> prodValues = new HashMap<>();
  private final Set<String> artifacts = new TreeSet<>();

  private ServiceConfig(String name) {
    this.name = name;
  }

  /** The module {@code repoRoot/module}, or empty when it is not in this repository (yet). */
  public static Optional<ServiceConfig> load(Path repoRoot, String module) {
    Path dir = repoRoot.resolve(module);
    Path props = dir.resolve("src/main/resources/application.properties");
    if (!Files.isRegularFile(props) || !Files.isRegularFile(dir.resolve("pom.xml"))) {
      return Optional.empty();
    }
    ServiceConfig c = new ServiceConfig(module);
    c.readProperties(props);
    c.readPom(dir.resolve("pom.xml"));
    c.scanSources(dir.resolve("src/main/java"));
    for (String a : c.artifacts) {
      Path sibling = repoRoot.resolve(a);
      if (!a.equals(module) && Files.isRegularFile(sibling.resolve("pom.xml"))) {
        c.scanSources(sibling.resolve("src/main/java"));
      }
    }
    return Optional.of(c);
  }

  public String name() {
    return name;
  }

  /** Every config key the service has (profile prefixes removed). */
  public Set<String> keys() {
    return keys;
  }

  /** Prefixes under which any further key is valid ({@code Map} members of config mappings). */
  public Set<String> mapPrefixes() {
    return mapPrefixes;
  }

  /** Prefixes owned by the Quarkus extensions this service depends on. */
  public Set<String> frameworkPrefixes() {
    return frameworkPrefixes;
  }

  /** Whether the module depends on {@code artifactId}. */
  public boolean dependsOn(String artifactId) {
    return artifacts.contains(artifactId);
  }

  /** The value in production before the environment: {@code %prod}, then plain, then default. */
  public Optional<String> value(String key) {
    String v = prodValues.getOrDefault(key, baseValues.getOrDefault(key, defaults.get(key)));
    return Optional.ofNullable(v).map(this::expand);
  }

  /** Expands {@code ${key:default}} expressions (one level per reference, enough here). */
  private String expand(String v) {
    Matcher m = Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}").matcher(v);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String r = value(m.group(1)).orElse(m.group(2) == null ? "" : m.group(2));
      m.appendReplacement(sb, Matcher.quoteReplacement(r));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** Whether the environment variable {@code env} sets a config key of this service. */
  public boolean accepts(String env) {
    for (String k : keys) {
      if (envName(k).equals(env)) {
        return true;
      }
    }
    for (String p : mapPrefixes) {
      String e = envName(p) + "_";
      if (env.startsWith(e) && env.length() > e.length()) {
        return true;
      }
    }
    for (String p : frameworkPrefixes) {
      String e = envName(p);
      if (env.startsWith(e) && env.length() > e.length()) {
        return true;
      }
    }
    return false;
  }

  /** The SmallRye rule: upper case, every character that is not a letter or digit becomes '_'. */
  public static String envName(String key) {
    StringBuilder sb = new StringBuilder(key.length());
    for (char ch : key.toCharArray()) {
      sb.append(Character.isLetterOrDigit(ch) ? Character.toUpperCase(ch) : '_');
    }
    return sb.toString();
  }

  /** {@code maxWaitSeconds} → {@code max-wait-seconds}, as SmallRye names mapping members. */
  static String kebab(String method) {
    return method.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
  }

  private void readProperties(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String raw : p.stringPropertyNames()) {
      String key = raw;
      String profile = null;
      if (raw.startsWith("%")) {
        int dot = raw.indexOf('.');
        profile = raw.substring(1, dot);
        key = raw.substring(dot + 1);
      }
      keys.add(key);
      if (profile == null) {
        baseValues.put(key, p.getProperty(raw));
      } else if (List.of(profile.split(",")).contains("prod")) {
        prodValues.put(key, p.getProperty(raw));
      }
    }
  }

  private void readPom(Path pom) {
    try {
      Matcher m = ARTIFACT.matcher(Files.readString(pom));
      while (m.find()) {
        artifacts.add(m.group(1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    frameworkPrefixes.add("quarkus.");
    if (dependsOn("quarkus-messaging-kafka") || dependsOn("quarkus-kafka-client")) {
      frameworkPrefixes.add("kafka.");
      frameworkPrefixes.add("mp.messaging.");
    }
    if (dependsOn("quarkus-smallrye-jwt")) {
      frameworkPrefixes.add("mp.jwt.");
      frameworkPrefixes.add("smallrye.jwt.");
    }
  }

  private void scanSources(Path src) {
    if (!Files.isDirectory(src)) {
      return;
    }
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = stripComments(Files.readString(f));
        Matcher cp = CONFIG_PROPERTY.matcher(text);
        while (cp.find()) {
          keys.add(cp.group(1));
          if (cp.group(2) != null) {
            defaults.put(cp.group(1), cp.group(2));
          }
        }
        Matcher m = MAPPING.matcher(text);
        while (m.find()) {
          readMapping(text, m.group(2), m.group(1), 0);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String stripComments(String java) {
    return java.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("(?m)^\\s*//.*$", "");
  }

  /** The members of interface {@code iface} (declared in {@code text}) under {@code prefix}. */
  private void readMapping(String text, String iface, String prefix, int depth) {
    Map<String, String> bodies = interfaceBodies(text);
    String body = bodies.get(iface);
    if (body == null || depth > 10) {
      throw new IllegalStateException(name + ": cannot read config mapping interface " + iface);
    }
    Matcher m = METHOD.matcher(ownBody(body));
    while (m.find()) {
      String annotations = m.group(1);
      String type = m.group(2);
      Matcher wn = WITH_NAME.matcher(annotations);
      String member = wn.find() ? wn.group(1) : kebab(m.group(3));
      String key = annotations.contains("@WithParentName") ? prefix : prefix + "." + member;
      String raw = type.replaceAll("<.*", "");
      String inner =
          type.contains("<") ? type.substring(type.indexOf('<') + 1, type.length() - 1) : "";
      if (raw.equals("Map") || raw.endsWith(".Map")) {
        mapPrefixes.add(key);
      } else if (bodies.containsKey(raw)) {
        readMapping(text, raw, key, depth + 1);
      } else if ((raw.equals("Optional") || raw.equals("List")) && bodies.containsKey(inner)) {
        if (raw.equals("List")) {
          mapPrefixes.add(key);
        } else {
          readMapping(text, inner, key, depth + 1);
        }
      } else {
        keys.add(key);
        Matcher wd = WITH_DEFAULT.matcher(annotations);
        if (wd.find()) {
          defaults.put(key, wd.group(1));
        }
      }
    }
  }

  /** Every interface declared in {@code text}, by simple name, with its body. */
  private static Map<String, String> interfaceBodies(String text) {
    Map<String, String> out = new HashMap<>();
    Matcher m = INTERFACE.matcher(text);
    while (m.find()) {
      int open = m.end() - 1;
      out.put(m.group(1), text.substring(open + 1, matchingBrace(text, open)));
    }
    return out;
  }

  /** The body without the bodies of nested types and default methods (their braces). */
  private static String ownBody(String body) {
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (char ch : body.toCharArray()) {
      if (ch == '{') {
        depth++;
      } else if (ch == '}') {
        depth--;
        if (depth == 0) {
          sb.append(";\n");
        }
      } else if (depth == 0) {
        sb.append(ch);
      }
    }
    return sb.toString();
  }

  private static int matchingBrace(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      if (text.charAt(i) == '{') {
        depth++;
      } else if (text.charAt(i) == '}' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalStateException("unbalanced braces");
  }
}
