package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;

/**
 * Logger names are a small documented set and never expose an internal class: every static
 * SLF4J {@link Logger} field of every class of the library (found from the compiled classes,
 * read after class initialization) has a name from {@link LoggerNames#ALL}, none containing
 * {@code .internal.}, and the user guide lists each one.
 */
class LoggerNamesTest {

    private static Path classesDir() throws Exception {
        return Path.of(SafeThread.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<String> loggerNamesInUse() throws Exception {
        Path root = classesDir();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String rel = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
                if (!rel.endsWith(".class") || rel.endsWith("package-info.class") || rel.endsWith("module-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName(rel.substring(0, rel.length() - 6).replace('/', '.'));
                for (Field field : c.getDeclaredFields()) {
                    if (Modifier.isStatic(field.getModifiers()) && Logger.class.isAssignableFrom(field.getType())) {
                        field.setAccessible(true);
                        Logger log = (Logger) field.get(null);
                        found.add(c.getName() + "." + field.getName() + " = " + log.getName());
                    }
                }
            }
        }
        return found;
    }

    @Test
    void everyLoggerHasADocumentedNameThatNamesNoInternalClass() throws Exception {
        List<String> loggers = loggerNamesInUse();
        // The scan found the library's loggers (a broken scan would pass vacuously).
        assertThat(loggers).hasSizeGreaterThanOrEqualTo(10);
        TreeSet<String> names = new TreeSet<>();
        for (String l : loggers) {
            String name = l.substring(l.indexOf(" = ") + 3);
            assertThat(name).as(l).doesNotContain(".internal.").startsWith("org.safethread.");
            assertThat(LoggerNames.ALL).as(l).contains(name);
            names.add(name);
        }
        // Every documented name is used: the list in the guide is not stale.
        assertThat(names).containsExactlyInAnyOrderElementsOf(LoggerNames.ALL);
    }

    @Test
    void theGuideListsEveryLoggerName() throws Exception {
        Path guide = Path.of(System.getProperty("user.dir")).resolveSibling("docs").resolve("guide.md");
        String text = Files.readString(guide, StandardCharsets.UTF_8);
        for (String name : LoggerNames.ALL) {
            assertThat(text).as("docs/guide.md lists the logger " + name).contains("`" + name + "`");
        }
        assertThat(text).contains("`" + LoggerNames.NOTICES + "`");
    }
}
