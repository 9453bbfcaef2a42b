package org.safethread.internal.monitor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.objectweb.asm.Type;
import org.safethread.MonitorMethod;

/**
 * Chooses what a monitor proxy overrides, and refuses a class whose proxy could not guard it.
 *
 * <h2>Selection follows the JVM's virtual dispatch, not Java signatures</h2>
 * The JVM selects an instance method by name and full descriptor (return type included), so a
 * compiler's bridge method ({@code put(Object)} for an override {@code put(String)} of a generic
 * {@code put(T)}; {@code Object get()} for a covariant {@code String get()}) is a method of its
 * own that dispatch reaches. A class proxy must take over <em>every</em> method that dispatch can
 * route to a proxy instance, because any code it does not override runs with {@code this} bound
 * to the proxy, whose fields are never-initialised copies. The plan therefore walks:
 * <ol>
 *   <li>every non-static, non-private method declared by the class and its superclasses
 *       (bridges and other synthetic methods included), keyed by name and descriptor, the most
 *       derived declaration winning;</li>
 *   <li>every default method of every superinterface whose key no class declares (the
 *       maximally-specific default would otherwise run on the proxy);</li>
 *   <li>{@code Object}'s overridable methods: {@code equals}, {@code hashCode} and
 *       {@code toString} become the proxy's identity, {@code finalize} an empty method (so the
 *       proxy is never finalized: the target's own finalizer runs once, for the target), and
 *       {@code clone} (unless the class declares one) throws
 *       {@link CloneNotSupportedException}.</li>
 * </ol>
 * Each key is then overridden by a <b>guarded</b> method (enter, call the target, exit) when it
 * is a monitor method, else by a <b>refusing</b> one (throws {@link IllegalStateException}). A
 * key the proxy cannot override makes {@link #forClass} refuse the class naming the method: any
 * non-private {@code final} method (whatever its visibility: a call would run the target's code
 * on the proxy's fields), and a package-private method inherited from another runtime package
 * (the proxy, defined in the target's package, cannot override it).
 *
 * <h2>Monitor status</h2>
 * A key is a monitor method when a declaration of it anywhere in the hierarchy (classes or
 * interfaces) carries {@link MonitorMethod}. A bridge and the method it bridges to are one Java
 * method seen through two descriptors, so they share their status: the keys are joined in one
 * family (union-find) and a family is a monitor method when any member is annotated. The method a
 * bridge calls is read from its bytecode ({@link ClassBytes#bridgeTarget}); where the bytecode
 * cannot be read it is the one non-bridge method of the declaring class with that name whose
 * parameter and return types the bridge's erase.
 *
 * <h2>Fields</h2>
 * A proxy is a subclass, so it has its own copy of every instance field, never initialised. A
 * field read through the monitor reference ({@code pool.name}) would silently read that copy.
 * So every non-private instance field of the hierarchy is refused here, naming the fields; code
 * that can reach a <em>private</em> field (the class's nest) is checked by {@link PrivateAccessCheck}.
 */
final class ProxyMethods {
    /** A base class of a layer above whose subclasses no class proxy can guard (see {@link #refuseSubclassesOf}). */
    private static final class RefusedBase {
        final Class<?> base;
        final String why;

        RefusedBase(Class<?> base, String why) {
            this.base = base;
            this.why = why;
        }
    }

    /** Copy-on-write: written at class initialization of the bases, read by a scan. */
    private static volatile RefusedBase[] refusedBases = new RefusedBase[0];
    /** Guards registration (a private lock: the class's own would be anyone's). */
    private static final Object REFUSALS_LOCK = new Object();

    private ProxyMethods() {
    }

    /**
     * Refuses class proxies for every subclass of {@code base}, a class of a layer above that
     * this layer does not name (the public {@code RefCounted}, from its class initializer: a
     * class proxy is only ever asked for the class of a live object, whose superclasses are
     * initialized, so the registration is in before the first such request).
     *
     * @param why what the subclass is and why no proxy can guard it, to follow "X is"
     */
    static void refuseSubclassesOf(Class<?> base, String why) {
        synchronized (REFUSALS_LOCK) {
            RefusedBase[] a = Arrays.copyOf(refusedBases, refusedBases.length + 1);
            a[a.length - 1] = new RefusedBase(base, why);
            refusedBases = a;
        }
    }

    /** What a proxy does with one key. */
    enum Kind {
        /** Enter the monitor, call the target, leave. */
        GUARDED,
        /** Throw {@link IllegalStateException}: not a monitor method. */
        REFUSING,
        /** An empty {@code finalize()}: the proxy is never finalized. */
        EMPTY_FINALIZE,
        /** {@code clone()} throws {@link CloneNotSupportedException}. */
        NO_CLONE
    }

    /** One method of a proxy: the declaration it overrides, and what it does. */
    static final class Entry {
        final Method method;
        final Kind kind;
        /** How messages name it: the method's name and the parameters the user wrote. */
        final String shown;

        Entry(Method method, Kind kind, String shown) {
            this.method = method;
            this.kind = kind;
            this.shown = shown;
        }
    }

    /** A class proxy cannot be made; the message says why and what to do. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    // ------------------------------------------------------------------ class proxies

    /**
     * @param type the target's class
     * @return the proxy's methods, in a stable order
     * @throws Refused if no proxy can guard {@code type}
     */
    static List<Entry> forClass(Class<?> type) throws Refused {
        String name = type.getName();
        // Arrays, hidden classes (lambdas), records and enums are final too, but "make it
        // non-final" cannot be done for them: say what can.
        if (type.isArray()) {
            throw new Refused("Monitor.of: " + type.getSimpleName() + " is an array, which has no methods to guard: "
                    + "keep it in a private field of a class whose @MonitorMethods read and change it, and guard "
                    + "that class");
        }
        if (type.isHidden() || type.isSynthetic()) {
            throw new Refused("Monitor.of: " + name + " is a hidden or synthetic class (a lambda or method reference), "
                    + "which cannot be subclassed: guard it through the interface it implements, "
                    + "Monitor.of(target, Iface.class)");
        }
        if (type.isRecord() || type.isEnum() || (type.getSuperclass() != null && type.getSuperclass().isEnum())) {
            throw new Refused("Monitor.of: " + name + " is " + (type.isRecord() ? "a record" : "an enum")
                    + ", which is always final, so no proxy subclass can guard it: declare its monitor methods in an "
                    + "interface and use Monitor.of(target, Iface.class)");
        }
        if (Modifier.isFinal(type.getModifiers())) {
            throw new Refused("Monitor.of: " + name + " is final, so no proxy subclass can guard it: make it "
                    + "non-final, or declare its monitor methods in an interface and use Monitor.of(target, Iface.class)");
        }
        if (type.isSealed()) {
            throw new Refused("Monitor.of: " + name + " is sealed, so no proxy subclass can guard it: use an "
                    + "interface proxy, Monitor.of(target, Iface.class)");
        }
        for (RefusedBase r : refusedBases) {
            if (r.base.isAssignableFrom(type)) {
                throw new Refused("Monitor.of: " + name + " is " + r.why + ": declare its monitor methods in an "
                        + "interface and use Monitor.of(target, Iface.class)");
            }
        }
        Map<String, Method> impl = new LinkedHashMap<>(); // key -> most derived class declaration
        Families families = new Families();
        List<Method> bridges = new ArrayList<>();
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                int mod = m.getModifiers();
                boolean annotated = m.isAnnotationPresent(MonitorMethod.class);
                String where = c.getName() + "." + m.getName() + describeParams(m);
                if (Modifier.isStatic(mod)) {
                    if (annotated) {
                        throw new Refused("Monitor.of: @MonitorMethod " + where + " is static: a static method has "
                                + "no monitor; make it an instance method");
                    }
                    continue;
                }
                if (Modifier.isPrivate(mod)) {
                    if (annotated) {
                        throw new Refused("Monitor.of: @MonitorMethod " + where + " is private, so a proxy cannot "
                                + "guard it: make it package-private, protected or public (private methods are only "
                                + "called from inside)");
                    }
                    continue;
                }
                boolean samePackage = c.getPackageName().equals(type.getPackageName())
                        && c.getClassLoader() == type.getClassLoader();
                if (!samePackage && !Modifier.isPublic(mod) && !Modifier.isProtected(mod)) {
                    // Even when a subclass declares the same name and descriptor, it does not override
                    // this one (JVMS 5.4.5): a call from its package selects it, on the proxy.
                    throw new Refused("Monitor.of: package-private " + (annotated ? "@MonitorMethod " : "method ")
                            + where + " is declared in another package than " + type.getName() + ", so the proxy "
                            + "(defined in " + type.getName() + "'s package) cannot override it and a call from its "
                            + "package would run it on the proxy's never-initialised state: make it public or "
                            + "protected, or private");
                }
                String key = key(m);
                impl.putIfAbsent(key, m);
                if (annotated) {
                    families.annotate(key);
                }
                if (m.isBridge()) {
                    bridges.add(m);
                }
            }
        }
        Map<String, Method> defaults = new LinkedHashMap<>();
        for (Class<?> i : allInterfaces(type)) {
            for (Method m : i.getDeclaredMethods()) {
                int mod = m.getModifiers();
                if (Modifier.isStatic(mod) || Modifier.isPrivate(mod)) {
                    continue;
                }
                String key = key(m);
                if (m.isAnnotationPresent(MonitorMethod.class)) {
                    families.annotate(key);
                }
                if (m.isBridge()) {
                    bridges.add(m);
                }
                if (m.isDefault() && !impl.containsKey(key)) {
                    defaults.putIfAbsent(key, m);
                }
            }
        }
        Map<Method, Method> bridged = new HashMap<>();
        for (Method b : bridges) {
            Method t = bridgeTarget(b);
            if (t != null) {
                families.join(key(b), key(t));
                bridged.put(b, t);
            }
        }
        impl.putAll(defaults);

        String pkg = type.getPackageName();
        ClassLoader loader = type.getClassLoader();
        List<Entry> out = new ArrayList<>();
        boolean declaresClone = false;
        boolean any = false;
        Method finalizer = null;
        for (Map.Entry<String, Method> e : impl.entrySet()) {
            Method m = e.getValue();
            Class<?> c = m.getDeclaringClass();
            int mod = m.getModifiers();
            String where = c.getName() + "." + m.getName() + describeParams(m);
            boolean monitor = families.isMonitor(e.getKey());
            if (isIdentityKey(e.getKey())) {
                if (Modifier.isFinal(mod)) {
                    throw new Refused("Monitor.of: final method " + where + " cannot be overridden by the proxy, "
                            + "which must answer " + m.getName() + " itself without touching the state: make it "
                            + "non-final");
                }
                continue; // the proxy's identity, written by ProxyWriter
            }
            if (e.getKey().equals("finalize()V")) {
                if (Modifier.isFinal(mod)) {
                    throw new Refused("Monitor.of: final method " + where + " cannot be overridden by the proxy, so "
                            + "the JVM would run it a second time on the proxy's never-initialised state: make it "
                            + "non-final (the proxy then overrides it with an empty method)");
                }
                if (monitor) {
                    throw new Refused("Monitor.of: " + where + " is annotated @MonitorMethod, but finalize is called "
                            + "by the JVM on the object itself, never through the monitor: remove the annotation "
                            + "(or use SafeThread.register with a FinalizerCore)");
                }
                finalizer = m;
                continue; // EMPTY_FINALIZE is added below
            }
            if (e.getKey().startsWith("clone()")) {
                declaresClone |= e.getKey().equals("clone()Ljava/lang/Object;");
            }
            boolean samePackage = c.getPackageName().equals(pkg) && c.getClassLoader() == loader;
            // (package-private methods of other packages were refused while walking the classes)
            if (Modifier.isFinal(mod)) {
                throw new Refused("Monitor.of: " + (monitor ? "@MonitorMethod " : "") + describeAccess(mod)
                        + " final method " + where + " cannot be overridden by the proxy, so a call through the "
                        + "monitor would run it on the proxy's never-initialised state instead of the guarded "
                        + "object: make it non-final" + (monitor ? "" : " (or private)"));
            }
            if (monitor) {
                if (Modifier.isProtected(mod) && !samePackage) {
                    throw new Refused("Monitor.of: protected @MonitorMethod " + where + " is inherited from another "
                            + "package and cannot be called through a proxy: override it in " + type.getName()
                            + " or make it public");
                }
                any = true;
                out.add(new Entry(m, Kind.GUARDED, m.getName()));
            } else {
                Method shown = bridged.getOrDefault(m, m);
                out.add(new Entry(m, Kind.REFUSING, m.getName() + describeParams(shown)));
            }
        }
        if (!any) {
            throw new Refused("Monitor.of: " + name + " has no @MonitorMethod: annotate the methods that read or "
                    + "change its state with @MonitorMethod (a monitor has no unlocked path to its state)");
        }
        checkFields(type);
        try {
            out.add(new Entry(finalizer != null ? finalizer : Object.class.getDeclaredMethod("finalize"),
                    Kind.EMPTY_FINALIZE, "finalize()"));
            if (!declaresClone) {
                out.add(new Entry(Object.class.getDeclaredMethod("clone"), Kind.NO_CLONE, "clone()"));
            }
        } catch (NoSuchMethodException impossible) {
            throw new AssertionError(impossible);
        }
        PrivateAccessCheck.check(type);
        return out;
    }

    /** Refuses the non-private instance fields of {@code type}'s hierarchy, naming them. */
    private static void checkFields(Class<?> type) throws Refused {
        List<String> open = new ArrayList<>();
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int mod = f.getModifiers();
                // Synthetic fields (an inner class's this$0, captured values) have no source name.
                if (!Modifier.isStatic(mod) && !Modifier.isPrivate(mod) && !f.isSynthetic()) {
                    open.add(describeAccess(mod) + " " + c.getSimpleName() + "." + f.getName());
                }
            }
        }
        if (!open.isEmpty()) {
            String shown = open.size() <= 6 ? String.join(", ", open)
                    : String.join(", ", open.subList(0, 6)) + " and " + (open.size() - 6) + " more";
            throw new Refused("Monitor.of: " + type.getName() + " has non-private instance field"
                    + (open.size() == 1 ? " " : "s ") + shown + ": the proxy is a subclass with its own "
                    + "never-initialised copy of every field, so a read or write through the monitor reference "
                    + "would silently use that copy instead of the guarded state; make the field"
                    + (open.size() == 1 ? "" : "s") + " private and reach "
                    + (open.size() == 1 ? "it" : "them") + " through @MonitorMethods");
        }
    }

    // ------------------------------------------------------------------ interface proxies

    /** @return every method an interface proxy of {@code iface} overrides (all guarded) */
    static List<Method> forInterface(Class<?> iface) {
        Map<String, Method> methods = new LinkedHashMap<>();
        for (Method m : iface.getMethods()) { // public abstract, default and bridge methods, inherited too
            if (Modifier.isStatic(m.getModifiers()) || isIdentityKey(key(m)) || key(m).equals("finalize()V")) {
                continue;
            }
            methods.putIfAbsent(key(m), m);
        }
        return new ArrayList<>(methods.values());
    }

    // ------------------------------------------------------------------ bridges

    /** @return the method bridge {@code b} calls, or null if it cannot be found */
    private static Method bridgeTarget(Method b) {
        Class<?> c = b.getDeclaringClass();
        String[] called = ClassBytes.bridgeTarget(c, b.getName(), Type.getMethodDescriptor(b));
        if (called != null) {
            for (Method t : c.getDeclaredMethods()) {
                if (t.getName().equals(called[0]) && Type.getMethodDescriptor(t).equals(called[1])) {
                    return t;
                }
            }
            // The bridge calls an inherited implementation (a class that inherits a generic
            // interface method's implementation from its superclass).
            for (Class<?> s = c.getSuperclass(); s != null; s = s.getSuperclass()) {
                for (Method t : s.getDeclaredMethods()) {
                    if (t.getName().equals(called[0]) && Type.getMethodDescriptor(t).equals(called[1])
                            && !Modifier.isStatic(t.getModifiers())) {
                        return t;
                    }
                }
            }
        }
        Method found = null;
        for (Method t : c.getDeclaredMethods()) {
            if (t.isBridge() || Modifier.isStatic(t.getModifiers()) || !t.getName().equals(b.getName())
                    || t.getParameterCount() != b.getParameterCount()
                    || !b.getReturnType().isAssignableFrom(t.getReturnType())) {
                continue;
            }
            boolean fits = true;
            Class<?>[] tp = t.getParameterTypes();
            Class<?>[] bp = b.getParameterTypes();
            for (int i = 0; i < tp.length && fits; i++) {
                fits = bp[i].isAssignableFrom(tp[i]);
            }
            if (fits) {
                if (found != null) {
                    return null; // ambiguous without the bytecode
                }
                found = t;
            }
        }
        return found;
    }

    /** Keys joined by bridges; a family is a monitor method when any member is annotated. */
    private static final class Families {
        private final Map<String, String> parent = new HashMap<>();
        private final Map<String, Boolean> annotated = new HashMap<>();

        private String find(String k) {
            String p = parent.getOrDefault(k, k);
            if (p.equals(k)) {
                return k;
            }
            String root = find(p);
            parent.put(k, root);
            return root;
        }

        void annotate(String key) {
            annotated.put(find(key), Boolean.TRUE);
        }

        void join(String a, String b) {
            String ra = find(a);
            String rb = find(b);
            if (!Objects.equals(ra, rb)) {
                parent.put(ra, rb);
                if (annotated.getOrDefault(ra, Boolean.FALSE)) {
                    annotated.put(rb, Boolean.TRUE);
                }
            }
        }

        boolean isMonitor(String key) {
            return annotated.getOrDefault(find(key), Boolean.FALSE);
        }
    }

    // ------------------------------------------------------------------ helpers

    static List<Class<?>> allInterfaces(Class<?> type) {
        List<Class<?>> out = new ArrayList<>();
        List<Class<?>> work = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                work.add(i);
            }
        }
        while (!work.isEmpty()) {
            Class<?> i = work.remove(work.size() - 1);
            if (!out.contains(i)) {
                out.add(i);
                for (Class<?> s : i.getInterfaces()) {
                    work.add(s);
                }
            }
        }
        return out;
    }

    /** @return the JVM's dispatch key: name and full descriptor */
    static String key(Method m) {
        return m.getName() + Type.getMethodDescriptor(m);
    }

    /** The methods a proxy answers itself (its identity, its lock and target). */
    static boolean isIdentityKey(String key) {
        return key.equals("equals(Ljava/lang/Object;)Z") || key.equals("hashCode()I")
                || key.equals("toString()Ljava/lang/String;")
                || key.startsWith("__safethread_lock()") || key.startsWith("__safethread_target()");
    }

    static String describeParams(Method m) {
        StringBuilder b = new StringBuilder("(");
        Class<?>[] ps = m.getParameterTypes();
        for (int i = 0; i < ps.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(ps[i].getSimpleName());
        }
        return b.append(')').toString();
    }

    private static String describeAccess(int mod) {
        return Modifier.isPublic(mod) ? "public" : Modifier.isProtected(mod) ? "protected" : "package-private";
    }
}
