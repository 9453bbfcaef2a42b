package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code safethread-core} read one way (issue #12): each internal package imports
 * only packages below it, internal code never reaches the public facades, and no import circle
 * appears other than the one that cannot be avoided (the public {@code RefCounted}/{@code Ref}
 * and the count engine behind them).
 *
 * <p>With every edge running down a strict order, no new circle can appear: the only upward edges
 * are the count engine's own (internal code of layer refcount and above may use the public
 * {@code RefCounted} and {@code Ref}) and those listed in {@link #KNOWN}.
 *
 * <p>It reads the main sources (imports and fully qualified names) rather than bytecode, so it
 * needs no extra library. Violations that predate the check are listed in {@link #KNOWN}: a new
 * violation fails, and so does a listed one that has gone (delete it from the list, so the list
 * only ever shrinks).
 */
class LayeringTest {

    /** Internal packages, bottom to top; the public package {@code org.safethread} is above all. */
    static final List<String> LAYERS = List.of(
            "runtime",   // thread states, attach protocol, settings, counters, housekeeping
            "events",    // JFR event types (abnormal events with real durations)
            "share",     // what may cross between threads
            "deadlock",  // the wait-for graph over Waitables: detection, victims, messages
            "monitor",   // monitor locks, proxies, conditions, leaving
            "map",       // SharedMap's engine: a checked ConcurrentHashMap, pending keys in the wait-for graph
            "refcount",  // the count engine (with the public RefCounted and Ref)
            "finalizer", // cores, the finalizer thread, leak references, watches
            "collector", // the cycle collector
            "weak",      // weak references and weak-keyed maps (bindings traced as ephemerons)
            "branch",    // structured threads: children, cancellation, joins as graph waits
            "metrics"    // one statistics snapshot, the opt-in MXBean
    );

    /** Public types that belong to the count engine's layer: the one circle allowed. */
    static final Set<String> COUNT_ENGINE_PUBLIC = Set.of("RefCounted", "Ref");

    /** Public facades that internal code must never use. */
    static final Set<String> FACADES = Set.of("Monitor", "Shareability", "SafeThread");

    /**
     * Violations that predated this check ("from-class -> to"). All are removed (the last, the
     * runtime's thread state holding the monitor layer's stack, in issue 13's session); the list
     * only ever shrinks, so it stays empty.
     */
    static final Set<String> KNOWN = Set.of();

    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    /** An import, or a fully qualified use in code, of a safethread type. */
    private static final Pattern REFERENCE =
            Pattern.compile("\\borg\\.safethread((?:\\.internal\\.[a-z]\\w*)?)\\.([A-Z]\\w*)");

    /** "internal.x.Class" or "Class" (public) -> the packages or public types it references. */
    private static final Map<String, Set<String>> USES = new TreeMap<>();
    /** Public types that reference internal packages (so internal code importing them closes a circle). */
    private static final Set<String> PUBLIC_NON_LEAF = new TreeSet<>();

    @BeforeAll
    static void readSources() throws IOException {
        Path root = Paths.get("src/main/java/org/safethread");
        assertThat(root).as("run from the safethread-core module directory").isDirectory();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String src = code(Files.readString(f));
                Matcher pm = PACKAGE.matcher(src);
                if (!pm.find()) {
                    continue;
                }
                String pkg = pm.group(1);
                String cls = f.getFileName().toString().replace(".java", "");
                String from = key(pkg, cls);
                Set<String> uses = USES.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(src);
                while (m.find()) {
                    String to = m.group(1).isEmpty() ? m.group(2) : m.group(1).substring(1);
                    if (!to.equals(from) && !to.equals(packageOf(from))) {
                        uses.add(to);
                    }
                }
                if (pkg.equals("org.safethread") && uses.stream().anyMatch(u -> u.startsWith("internal."))) {
                    PUBLIC_NON_LEAF.add(cls);
                }
            }
        }
    }

    /** @return the source without comments and string literals (Javadoc links and event names are not uses) */
    static String code(String src) {
        return src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ")
                .replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    private static String key(String pkg, String cls) {
        return pkg.equals("org.safethread") ? cls : pkg.substring("org.safethread.".length()) + "." + cls;
    }

    /** @return "internal.x" for an internal class key, "" for a public type */
    private static String packageOf(String key) {
        return key.startsWith("internal.") ? key.substring(0, key.lastIndexOf('.')) : "";
    }

    private static int rank(String internalPackage) {
        int r = LAYERS.indexOf(internalPackage.substring("internal.".length()));
        if (r < 0) {
            throw new AssertionError(internalPackage + " is not in LayeringTest.LAYERS: give it its place");
        }
        return r;
    }

    private static List<String> violations() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : USES.entrySet()) {
            String from = e.getKey();
            if (!from.startsWith("internal.")) {
                continue; // the public facade may use anything
            }
            int fromRank = rank(packageOf(from));
            for (String to : e.getValue()) {
                if (to.startsWith("internal.")) {
                    if (rank(to) > fromRank) {
                        out.add(from + " -> " + to);
                    }
                } else if (FACADES.contains(to)) {
                    out.add(from + " -> " + to);
                } else if (COUNT_ENGINE_PUBLIC.contains(to)) {
                    if (fromRank < LAYERS.indexOf("refcount")) {
                        out.add(from + " -> " + to);
                    }
                } else if (PUBLIC_NON_LEAF.contains(to)) {
                    out.add(from + " -> " + to); // a public type that uses internals: a circle
                }
            }
        }
        return out;
    }

    @Test
    void everyInternalPackageHasAPlaceInTheLayers() {
        for (String from : USES.keySet()) {
            if (from.startsWith("internal.")) {
                rank(packageOf(from));
            }
        }
    }

    @Test
    void noNewImportRunsUpTheLayersOrReachesAFacade() {
        List<String> fresh = new ArrayList<>(violations());
        fresh.removeAll(KNOWN);
        assertThat(fresh).as("imports that run up the layers (or into Monitor/Shareability/SafeThread); "
                + "move the code to the right layer, or pass a hook down").isEmpty();
    }

    @Test
    void theListOfKnownViolationsOnlyShrinks() {
        Set<String> gone = new TreeSet<>(KNOWN);
        gone.removeAll(violations());
        assertThat(gone).as("violations that no longer occur: delete them from LayeringTest.KNOWN").isEmpty();
    }

    @Test
    void theDetectorKnowsNothingAboveIt() {
        for (Map.Entry<String, Set<String>> e : USES.entrySet()) {
            if (e.getKey().startsWith("internal.deadlock.")) {
                assertThat(e.getValue()).as(e.getKey())
                        .allMatch(u -> u.equals("internal.runtime") || u.equals("DeadlockException"));
            }
        }
    }
}
