package org.safethread.internal.finalizer;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.safethread.Monitor;
import org.safethread.Shareability;
import org.safethread.internal.monitor.MonitorAccess;

/**
 * The rules a finalizer core must follow, checked at a class's first use, at
 * {@code SafeThread.register}, and at the first death of each class:
 * <ul>
 *   <li>its class is shareable (the finalizer thread uses it);</li>
 *   <li>it has exactly one no-argument {@code @Finalize} method;</li>
 *   <li>it does not reach its owner through its fields (else finalization could resurrect the
 *       owner). The walk is bounded ({@value #MAX_OBJECTS} objects, depth {@value #MAX_DEPTH});
 *       it reads fields by reflection, iterates JDK collections, and skips JDK internals it cannot
 *       read. It never calls a method of a user class.</li>
 * </ul>
 */
public final class CoreRules {
    /** Objects visited at most by the reachability walk: bounds the cost of a check. */
    private static final int MAX_OBJECTS = 10_000;
    /** Path length at most followed by the walk. */
    private static final int MAX_DEPTH = 24;
    /** Elements of one array or collection followed at most. */
    private static final int MAX_ELEMENTS = 1_000;

    private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            List<Field> out = new ArrayList<>();
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        out.add(f);
                    } catch (InaccessibleObjectException | SecurityException e) {
                        // a JDK internal we may not read: not followed (documented bound)
                    }
                }
            }
            return out.toArray(new Field[0]);
        }
    };

    private CoreRules() {
    }

    /**
     * Checks a {@code @FinalizerCore} field's declared type, when it is exact enough to judge
     * (a final class).
     *
     * @return why the declaration is refused, or null
     */
    public static String checkDeclaredType(Field coreField) {
        Class<?> t = coreField.getType();
        if (!Modifier.isFinal(t.getModifiers()) || t.isArray()) {
            if (t.isArray()) {
                return "@FinalizerCore field " + coreField.getName() + " is an array: a core must be an object "
                        + "with a @Finalize method";
            }
            return null;
        }
        FinalizeMethods fm = FinalizeMethods.of(t);
        if (fm.problem != null) {
            return "@FinalizerCore field " + coreField.getDeclaringClass().getName() + "." + coreField.getName()
                    + ": " + fm.problem;
        }
        if (!Shareability.isShareableClass(t)) {
            return "@FinalizerCore field " + coreField.getDeclaringClass().getName() + "." + coreField.getName()
                    + " has type " + t.getName() + ", which is not shareable: the finalizer thread uses the core, "
                    + "so annotate " + t.getSimpleName() + " with @Shareable (and make it thread-safe) or make it a monitor";
        }
        return null;
    }

    /**
     * Checks one owner's core.
     *
     * @return why the core is refused, or null
     */
    public static String checkInstance(Object owner, Object core) {
        String ownerName = owner.getClass().getName();
        if (!Shareability.isShareable(core)) {
            return "the finalizer core of " + ownerName + " (" + core.getClass().getName()
                    + ") is not shareable: the finalizer thread uses it, so annotate its class @Shareable "
                    + "(and make it thread-safe) or make it a monitor with Monitor.of";
        }
        Object target = Monitor.isMonitor(core) ? MonitorAccess.targetOf(core) : core;
        FinalizeMethods fm = FinalizeMethods.of(target.getClass());
        if (fm.problem != null) {
            return fm.problem;
        }
        String path = pathTo(owner, target);
        if (path != null) {
            return "the finalizer core of " + ownerName + " reaches its owner through " + path
                    + ": finalization could resurrect the owner; keep in the core only what the cleanup needs "
                    + "(not the owner, nor objects that refer to it)";
        }
        return null;
    }

    /**
     * The same bounded reachability walk, from any object (a weak-keyed map's value to its key).
     *
     * @return the path from {@code from} to {@code target} ("value.items[0].owner"), or null
     */
    public static String reaches(Object from, Object target) {
        String p = pathTo(target, from);
        return p == null ? null : "value" + p.substring("core".length());
    }

    /** @return the path from {@code core} to {@code owner} ("core.listener.owner"), or null */
    static String pathTo(Object owner, Object core) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> queue = new ArrayDeque<>(); // {object, path, depth}
        queue.add(new Object[] {core, "core", 0});
        seen.put(core, Boolean.TRUE);
        while (!queue.isEmpty() && seen.size() < MAX_OBJECTS) {
            Object[] node = queue.poll();
            Object o = node[0];
            String path = (String) node[1];
            int depth = (Integer) node[2];
            if (o == owner) {
                return path;
            }
            if (depth >= MAX_DEPTH || isLeaf(o.getClass())) {
                continue;
            }
            for (Object[] child : children(o, path)) {
                Object c = child[0];
                if (c != null && seen.put(c, Boolean.TRUE) == null) {
                    queue.add(new Object[] {c, child[1], depth + 1});
                }
            }
        }
        return null;
    }

    private static boolean isLeaf(Class<?> c) {
        return c == String.class || c == Class.class || c.isPrimitive() || c.isEnum()
                || Number.class.isAssignableFrom(c) && c.getModule() == Object.class.getModule()
                || c == Boolean.class || c == Character.class || Thread.class.isAssignableFrom(c)
                || ClassLoader.class.isAssignableFrom(c) || java.lang.ref.Reference.class.isAssignableFrom(c)
                || c.getPackageName().startsWith("java.lang.invoke")
                || c.getPackageName().startsWith("java.lang.reflect");
    }

    private static List<Object[]> children(Object o, String path) {
        List<Object[]> out = new ArrayList<>();
        Class<?> c = o.getClass();
        if (Monitor.isMonitor(o)) {
            out.add(new Object[] {MonitorAccess.targetOf(o), path});
            return out;
        }
        if (c.isArray()) {
            if (!c.getComponentType().isPrimitive()) {
                int n = Math.min(Array.getLength(o), MAX_ELEMENTS);
                for (int i = 0; i < n; i++) {
                    out.add(new Object[] {Array.get(o, i), path + "[" + i + "]"});
                }
            }
            return out;
        }
        boolean jdk = c.getModule() == Object.class.getModule();
        if (jdk && o instanceof Collection) {
            try {
                int i = 0;
                for (Object e : (Collection<?>) o) {
                    if (i == MAX_ELEMENTS) {
                        break;
                    }
                    out.add(new Object[] {e, path + "[" + i++ + "]"});
                }
            } catch (RuntimeException concurrentChange) {
                // a collection changing under us: check what we saw
            }
            return out;
        }
        if (jdk && o instanceof Map) {
            try {
                int i = 0;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                    if (i == MAX_ELEMENTS) {
                        break;
                    }
                    out.add(new Object[] {e.getKey(), path + ".key[" + i + "]"});
                    out.add(new Object[] {e.getValue(), path + ".value[" + i + "]"});
                    i++;
                }
            } catch (RuntimeException concurrentChange) {
                // as above
            }
            return out;
        }
        for (Field f : FIELDS.get(c)) {
            try {
                out.add(new Object[] {f.get(o), path + "." + f.getName()});
            } catch (IllegalAccessException e) {
                // unreadable: not followed
            }
        }
        return out;
    }
}
