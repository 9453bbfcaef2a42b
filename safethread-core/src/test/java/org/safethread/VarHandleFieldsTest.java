package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The charter's rule for VarHandles (issue #12): every VarHandle of the library is
 * {@code private static final}, reached only through accessors named by memory mode, and the
 * fields of {@link RefCounted} and {@link Ref} are reached through one class only
 * ({@code internal.refcount.CountFields}). A VarHandle that leaks out of its class lets a caller
 * pick an access mode the protocol did not argue for; this test fails on the first such field.
 */
class VarHandleFieldsTest {
    private static final Path ROOT = Paths.get("src/main/java");

    @Test
    void everyVarHandleFieldIsPrivateStaticFinal() throws Exception {
        List<String> classes = mainClassNames();
        assertThat(classes).as("main classes found (run from the safethread-core module directory)")
                .contains("org.safethread.internal.refcount.CountFields");
        List<String> wrong = new ArrayList<>();
        int seen = 0;
        for (String name : classes) {
            ClassLoader loader = getClass().getClassLoader();
            List<Class<?>> todo = new ArrayList<>(List.of(Class.forName(name, false, loader)));
            while (!todo.isEmpty()) {
                Class<?> c = todo.remove(todo.size() - 1);
                todo.addAll(List.of(c.getDeclaredClasses()));
                for (Field f : c.getDeclaredFields()) {
                    if (f.getType() != VarHandle.class) {
                        continue;
                    }
                    seen++;
                    int m = f.getModifiers();
                    if (!Modifier.isPrivate(m) || !Modifier.isStatic(m) || !Modifier.isFinal(m)) {
                        wrong.add(c.getName() + "." + f.getName() + " is " + Modifier.toString(m));
                    }
                }
            }
        }
        assertThat(seen).as("VarHandle fields found").isGreaterThanOrEqualTo(7);
        assertThat(wrong).as("VarHandle fields that are not private static final").isEmpty();
    }

    @Test
    void refCountedAndRefFieldsHaveOneAccessClass() throws IOException {
        List<String> holders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String src = LayeringTest.code(Files.readString(f));
                if (src.matches("(?s).*findVarHandle\\(\\s*(RefCounted|Ref)\\.class.*")) {
                    holders.add(ROOT.relativize(f).toString().replace('\\', '/'));
                }
            }
        }
        assertThat(holders).as("classes that look up VarHandles on RefCounted or Ref")
                .containsExactly("org/safethread/internal/refcount/CountFields.java");
    }

    private static List<String> mainClassNames() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String rel = ROOT.relativize(f).toString().replace('\\', '/');
                if (rel.endsWith("package-info.java") || rel.endsWith("module-info.java")) {
                    continue;
                }
                out.add(rel.substring(0, rel.length() - ".java".length()).replace('/', '.'));
            }
        }
        return out;
    }
}
