package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The package's null convention, checked over every public method and constructor of every
 * public type of {@code org.safethread} (found from the compiled classes, so a new method is
 * checked without touching this test): for each reference parameter not annotated
 * {@code @Nullable}, a call with null there (and a valid value everywhere else) throws a
 * {@link NullPointerException} whose message names the parameter (the library is compiled with
 * {@code -parameters}); a {@code @Nullable} parameter given null does not throw one. A public
 * type this test cannot make an instance or argument of fails the test, so it is extended rather
 * than silently skipped.
 */
class NullArgumentsTest {

    /** A counted object for receivers and arguments. */
    static final class Node extends RefCounted {
    }

    /** Receivers: a fresh instance of each public type with instance methods taking references. */
    private static final Map<Class<?>, Supplier<Object>> RECEIVERS = Map.ofEntries(
            Map.entry(Ref.class, Ref::new),
            Map.entry(WeakRef.class, () -> new WeakRef<>("referent")),
            Map.entry(WeakKeyMap.class, WeakKeyMap::new),
            Map.entry(SharedMap.class, SharedMap::new),
            Map.entry(DeathQueue.class, DeathQueue::new),
            Map.entry(MonitorSpace.class, () -> MonitorSpace.create("nulls")),
            Map.entry(Branch.class, Branch::open));

    /** A valid argument of each parameter type the public API has. */
    private static Object sample(Class<?> type) {
        if (type == Object.class || type == String.class) {
            return "sample";
        }
        if (type == RefCounted.class) {
            return new Node();
        }
        if (type == Class.class) {
            return Runnable.class;
        }
        if (type == Duration.class) {
            return Duration.ofMillis(1);
        }
        if (type == BooleanSupplier.class) {
            return (BooleanSupplier) () -> true;
        }
        if (type == Supplier.class) {
            return (Supplier<Object>) () -> "v";
        }
        if (type == Callable.class) {
            return (Callable<Object>) () -> "v";
        }
        if (type == Runnable.class) {
            return (Runnable) () -> { };
        }
        if (type == ThreadFactory.class) {
            return (ThreadFactory) Thread::new;
        }
        if (type == Function.class) {
            return (Function<Object, Object>) k -> "v";
        }
        if (type == BiFunction.class) {
            return (BiFunction<Object, Object, Object>) (k, v) -> "v";
        }
        if (type == List.class) {
            return List.of(new RuntimeException("sample failure"));
        }
        if (type == DeathQueue.Handle.class) {
            return new DeathQueue<String>().watch(new Node(), "p");
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == boolean.class) {
            return false;
        }
        throw new AssertionError("NullArgumentsTest has no sample of " + type.getName()
                + ": add one, so that the new public method is checked");
    }

    static List<Class<?>> publicTypes() throws IOException, URISyntaxException {
        Path dir = Path.of(SafeThread.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("org/safethread");
        List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".class") || file.equals("package-info.class")) {
                    continue;
                }
                Class<?> c;
                try {
                    c = Class.forName("org.safethread." + file.substring(0, file.length() - 6));
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(e);
                }
                if (isExported(c)) {
                    types.add(c);
                }
            }
        }
        return types;
    }

    private static boolean isExported(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isSynthetic()) {
                return false;
            }
        }
        return true;
    }

    private static List<Executable> publicMembers(Class<?> c) {
        List<Executable> members = new ArrayList<>();
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (Modifier.isPublic(k.getModifiers()) && !Modifier.isAbstract(c.getModifiers())) {
                members.add(k);
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            // equals(Object) follows Object's contract (null is allowed: false), records' included
            boolean equals = m.getName().equals("equals") && m.getParameterCount() == 1;
            if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge() && !equals) {
                members.add(m);
            }
        }
        return members;
    }

    private static boolean nullable(Executable e, int i) {
        return e.getAnnotatedParameterTypes()[i].isAnnotationPresent(Nullable.class);
    }

    @Test
    void everyNonNullableReferenceParameterRefusesNullNamingIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        int nullableChecked = 0;
        for (Class<?> c : publicTypes()) {
            for (Executable e : publicMembers(c)) {
                Parameter[] ps = e.getParameters();
                for (int i = 0; i < ps.length; i++) {
                    if (ps[i].getType().isPrimitive()) {
                        continue;
                    }
                    assertThat(ps[i].isNamePresent()).as("compiled with -parameters: " + e).isTrue();
                    Throwable thrown = call(c, e, i);
                    String where = e.toGenericString() + " parameter " + ps[i].getName();
                    if (nullable(e, i)) {
                        nullableChecked++;
                        if (thrown instanceof NullPointerException) {
                            wrong.add(where + ": @Nullable, yet null threw " + thrown);
                        }
                        continue;
                    }
                    checked++;
                    if (!(thrown instanceof NullPointerException)) {
                        wrong.add(where + ": null gave " + (thrown == null ? "no exception" : thrown));
                    } else if (thrown.getMessage() == null || !Pattern.compile("\\b" + ps[i].getName() + "\\b",
                            Pattern.CASE_INSENSITIVE).matcher(thrown.getMessage()).find()) {
                        wrong.add(where + ": the message does not name it: " + thrown.getMessage());
                    }
                }
            }
        }
        assertThat(wrong).as("public parameters that do not follow the null convention").isEmpty();
        // The scan found the API (a broken scan would pass vacuously).
        assertThat(checked).isGreaterThan(40);
        assertThat(nullableChecked).isGreaterThanOrEqualTo(8);
    }

    /** @return what calling {@code e} with null at {@code nullAt} threw, or null */
    private static @Nullable Throwable call(Class<?> c, Executable e, int nullAt) throws Exception {
        Class<?>[] types = e.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int j = 0; j < types.length; j++) {
            args[j] = j == nullAt ? null : sample(types[j]);
        }
        Object receiver = null;
        try {
            if (e instanceof Constructor) {
                ((Constructor<?>) e).newInstance(args);
            } else {
                Method m = (Method) e;
                if (!Modifier.isStatic(m.getModifiers())) {
                    Supplier<Object> make = RECEIVERS.get(c);
                    if (make == null) {
                        throw new AssertionError("NullArgumentsTest has no instance of " + c.getName()
                                + " to call " + m + " on: add one");
                    }
                    receiver = make.get();
                }
                m.invoke(receiver, args);
            }
            return null;
        } catch (InvocationTargetException thrown) {
            return thrown.getCause();
        } finally {
            if (receiver instanceof Branch) {
                ((Branch) receiver).join(); // a branch is joined before it is closed
            }
            if (receiver instanceof AutoCloseable) {
                ((AutoCloseable) receiver).close();
            }
        }
    }

    @Test
    void theExportedPackageIsNullMarked() {
        assertThat(SafeThread.class.getPackage().isAnnotationPresent(NullMarked.class)).isTrue();
    }

    @Test
    void whereNullIsAllowedTheAnnotationSaysSo() throws Exception {
        // Spot checks of the returns the guide documents as possibly null.
        assertThat(Ref.class.getMethod("get").getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).isTrue();
        assertThat(Ref.class.getMethod("acquire").getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).isTrue();
        assertThat(WeakRef.class.getMethod("get").getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).isTrue();
        assertThat(WeakRef.class.getMethod("acquire").getAnnotatedReturnType().isAnnotationPresent(Nullable.class))
                .isTrue();
        assertThat(DeathQueue.class.getMethod("poll").getAnnotatedReturnType().isAnnotationPresent(Nullable.class))
                .isTrue();
        assertThat(SharedMap.class.getMethod("get", Object.class).getAnnotatedReturnType()
                .isAnnotationPresent(Nullable.class)).isTrue();
        assertThat(Shareability.class.getMethod("whyNotShareable", Object.class).getAnnotatedReturnType()
                .isAnnotationPresent(Nullable.class)).isTrue();
    }
}
