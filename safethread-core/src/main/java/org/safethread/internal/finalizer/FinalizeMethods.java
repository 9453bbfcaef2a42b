package org.safethread.internal.finalizer;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.safethread.Finalize;

/**
 * Finds, checks and caches the {@link Finalize} method of a core class. A class is refused (with
 * a message saying what to change) when it has no such method, more than one, one that takes
 * parameters, or a static one.
 */
final class FinalizeMethods {
    private static final MethodType INVOKE_TYPE = MethodType.methodType(void.class, Object.class);
    private static final ClassValue<FinalizeMethods> CACHE = new ClassValue<>() {
        @Override
        protected FinalizeMethods computeValue(Class<?> type) {
            return new FinalizeMethods(type);
        }
    };

    /** {@code (Object core) -> void}, or null when {@link #problem} is set. */
    private final MethodHandle handle;
    /** Why the class cannot be a core, or null. */
    final String problem;

    private FinalizeMethods(Class<?> type) {
        MethodHandle h = null;
        String why = null;
        List<Method> found = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Finalize.class) || m.isBridge() || m.isSynthetic()) {
                    continue;
                }
                String key = m.getName() + m.getParameterCount();
                if (!seen.contains(key)) { // an override of a method found in a subclass counts once
                    seen.add(key);
                    found.add(m);
                }
            }
        }
        if (found.isEmpty()) {
            why = "core class " + type.getName()
                    + " has no @Finalize method: add one no-argument instance method annotated @Finalize";
        } else if (found.size() > 1) {
            why = "core class " + type.getName() + " has " + found.size() + " @Finalize methods ("
                    + found.get(0).getName() + ", " + found.get(1).getName() + "): keep exactly one";
        } else {
            Method m = found.get(0);
            if (Modifier.isStatic(m.getModifiers())) {
                why = "@Finalize method " + type.getName() + "." + m.getName()
                        + " is static: it must be an instance method of the core";
            } else if (m.getParameterCount() != 0) {
                why = "@Finalize method " + type.getName() + "." + m.getName() + " takes " + m.getParameterCount()
                        + " parameter(s): it must take none (the core holds what it needs)";
            } else {
                try {
                    m.setAccessible(true);
                    h = MethodHandles.lookup().unreflect(m).asType(INVOKE_TYPE);
                } catch (IllegalAccessException | InaccessibleObjectException | SecurityException e) {
                    why = "@Finalize method " + type.getName() + "." + m.getName() + " is not accessible ("
                            + e.getMessage() + "): open package " + type.getPackageName() + " to org.safethread";
                }
            }
        }
        this.handle = h;
        this.problem = why;
    }

    static FinalizeMethods of(Class<?> type) {
        return CACHE.get(type);
    }

    /** Runs the method on {@code core}. */
    void invoke(Object core) throws Throwable {
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        handle.invokeExact(core);
    }
}
