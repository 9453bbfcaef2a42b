package org.safethread.internal.monitor;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.safethread.internal.share.ShareRules;

/**
 * Defines monitor proxy classes, one per target class (class proxies) or interface (interface
 * proxies), cached in {@link ClassValue}s, and makes proxies of them. Which methods a proxy has
 * is {@link ProxyMethods}'s choice; their bytecode is {@link ProxyWriter}'s.
 *
 * <h2>Class proxies</h2>
 * A subclass of the target's class, defined in the target's package with
 * {@link MethodHandles#privateLookupIn} (so package-private monitor methods work). It is
 * instantiated without running any constructor of the target's class (the JDK's serialization
 * constructor mechanism), and its two final fields are then set by reflection, which under the
 * Java memory model freezes them like a constructor would (JLS 17.5.3), so even a racily
 * published proxy is safe to call. The lock learns its proxy ({@link ProxySupport#bind}) before
 * those fields are set, so the freeze covers that too.
 *
 * <h2>Interface proxies</h2>
 * A class implementing the interface, defined in the interface's package when we may, else in
 * this package (public interfaces of other modules, e.g. {@code java.util.List}), with a real
 * constructor.
 */
final class ProxyFactory {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    static {
        // Every proxy class is defined here, after this: a monitor is shareable (ShareRules' notes).
        ShareRules.registerShareableSupertype(MonitorProxy.class);
        // A monitor's target refused as a plain object must not be told "make it a monitor".
        ShareRules.registerPlainAdvice(ProxyFactory::plainAdvice);
    }

    /**
     * Why a refused plain object may not cross, when monitors guard it: it is the target of a
     * monitor this thread is inside ({@code this} in a monitor method, captured by a lambda or
     * held by a record or a value being stored), or of a class that class proxies guard. Identity
     * lookups only: no user code; and it makes no runtime state (ShareRules is asked from any
     * thread, the runtime's own included): a thread inside a monitor has its stack in the table
     * (its entry installed it), else this thread holds no monitor to speak of, or its slot is
     * another thread's (a rare collision: the class-level advice then).
     *
     * @return the reason, or null for ShareRules' general advice
     */
    static String plainAdvice(Object o) {
        Thread me = Thread.currentThread();
        MonitorStack stack = MonitorStack.tableEntry(me);
        MonitorLock held = stack != null && stack.thread == me ? stack.findByTarget(o) : null;
        if (held != null) {
            return "it is the target of monitor " + held.name + ", which this thread is inside: in a monitor method, "
                    + "this is the unguarded object, not the monitor, so nothing that holds it may leave the monitor (a "
                    + "lambda that captures this, a record of it, ...); capture the values it needs instead (read them "
                    + "into local variables first), or pass the monitor itself (what Monitor.of returned)";
        }
        if (hasClassProxy(o.getClass())) {
            return "a bare " + o.getClass().getSimpleName() + ", a class that monitors made with Monitor.of guard: "
                    + "if it is the target of one, pass (or capture) that monitor, what Monitor.of returned, instead of "
                    + "the object itself, or capture the values needed; if it has none, wrap it with Monitor.of first";
        }
        return null;
    }

    /** A generated class, or why one cannot be made. */
    static final class ProxyClass {
        final String refusal;
        final Class<?> type;
        // class proxies
        final Constructor<?> allocator;
        final Field targetField;
        final Field lockField;
        // interface proxies
        final MethodHandle constructor;

        ProxyClass(String refusal) {
            this(refusal, null, null, null, null, null);
        }

        ProxyClass(String refusal, Class<?> type, Constructor<?> allocator, Field targetField, Field lockField,
                MethodHandle constructor) {
            this.refusal = refusal;
            this.type = type;
            this.allocator = allocator;
            this.targetField = targetField;
            this.lockField = lockField;
            this.constructor = constructor;
        }
    }

    private static final ClassValue<ProxyClass> CLASS_PROXIES = new ClassValue<>() {
        @Override
        protected ProxyClass computeValue(Class<?> type) {
            try {
                return makeClassProxy(type);
            } catch (ProxyMethods.Refused r) {
                return new ProxyClass(r.getMessage());
            } catch (RuntimeException | LinkageError | ReflectiveOperationException e) {
                return new ProxyClass("Monitor.of: cannot generate a proxy for " + type.getName() + ": " + e
                        + accessHint(type));
            }
        }
    };

    private static final ClassValue<ProxyClass> INTERFACE_PROXIES = new ClassValue<>() {
        @Override
        protected ProxyClass computeValue(Class<?> type) {
            try {
                return makeInterfaceProxy(type);
            } catch (RuntimeException | LinkageError | ReflectiveOperationException e) {
                return new ProxyClass("Monitor.of: cannot generate a proxy for interface " + type.getName() + ": " + e
                        + accessHint(type));
            }
        }
    };

    /** Classes that have (or had an attempt at) a class proxy: for refusal messages only. */
    private static final ClassValue<boolean[]> PROXIED = new ClassValue<>() {
        @Override
        protected boolean[] computeValue(Class<?> type) {
            return new boolean[1];
        }
    };

    private ProxyFactory() {
    }

    /** @return whether a class proxy of {@code type} has been made (racy; for messages only) */
    static boolean hasClassProxy(Class<?> type) {
        return PROXIED.get(type)[0];
    }

    private static String accessHint(Class<?> type) {
        return type.getModule().isNamed()
                ? " (if its module is named, open package " + type.getPackageName() + " to org.safethread)"
                : "";
    }

    // ------------------------------------------------------------------ entry points

    static Object classProxy(Object target, MonitorLock lock) {
        ProxyClass pc = CLASS_PROXIES.get(target.getClass());
        if (pc.refusal != null) {
            throw new IllegalArgumentException(pc.refusal);
        }
        try {
            Object proxy = pc.allocator.newInstance();
            ProxySupport.bind(lock, proxy);
            pc.targetField.set(proxy, target);
            pc.lockField.set(proxy, lock);
            return proxy;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Monitor.of: cannot instantiate the proxy of " + target.getClass().getName(), e);
        }
    }

    static Object interfaceProxy(Object target, Class<?> iface, MonitorLock lock) {
        ProxyClass pc = INTERFACE_PROXIES.get(iface);
        if (pc.refusal != null) {
            throw new IllegalArgumentException(pc.refusal);
        }
        try {
            return pc.constructor.invoke(target, lock);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("Monitor.of: cannot instantiate the proxy of " + iface.getName(), e);
        }
    }

    // ------------------------------------------------------------------ definition

    private static ProxyClass makeClassProxy(Class<?> type) throws ProxyMethods.Refused, ReflectiveOperationException {
        List<ProxyMethods.Entry> entries = ProxyMethods.forClass(type);
        String proxyName = type.getName() + "$$SafeMonitor$" + SEQUENCE.incrementAndGet();
        byte[] bytes = ProxyWriter.classProxy(type, proxyName, entries, displayName(type));
        MethodHandles.Lookup lookup = lookupInto(type);
        Class<?> proxy = lookup.defineClass(bytes);
        @SuppressWarnings("deprecation")
        Constructor<?> allocator = sun.reflect.ReflectionFactory.getReflectionFactory()
                .newConstructorForSerialization(proxy, Object.class.getDeclaredConstructor());
        PROXIED.get(type)[0] = true;
        Field tf = proxy.getDeclaredField(ProxyWriter.TARGET_FIELD);
        Field lf = proxy.getDeclaredField(ProxyWriter.LOCK_FIELD);
        tf.setAccessible(true);
        lf.setAccessible(true);
        return new ProxyClass(null, proxy, allocator, tf, lf, null);
    }

    private static ProxyClass makeInterfaceProxy(Class<?> iface) throws ReflectiveOperationException {
        if (!iface.isInterface() || iface.isAnnotation()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): " + iface.getName()
                    + " is not an interface; pass the interface whose methods the monitor guards");
        }
        if (iface.isSealed()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): the interface is sealed and no "
                    + "proxy may implement it");
        }
        if (iface.isHidden()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): the interface is hidden");
        }
        List<Method> methods = ProxyMethods.forInterface(iface);
        MethodHandles.Lookup lookup;
        String proxyName;
        Class<?> host;
        try {
            lookup = lookupInto(iface);
            proxyName = iface.getName() + "$$SafeMonitor$" + SEQUENCE.incrementAndGet();
            host = iface;
        } catch (IllegalAccessException | SecurityException e) {
            if (!Modifier.isPublic(iface.getModifiers())) {
                throw e;
            }
            ProxyFactory.class.getModule().addReads(iface.getModule());
            lookup = MethodHandles.lookup();
            proxyName = ProxyFactory.class.getPackageName() + ".Proxy$" + iface.getSimpleName() + "$"
                    + SEQUENCE.incrementAndGet();
            host = ProxyFactory.class;
        }
        byte[] bytes = ProxyWriter.interfaceProxy(iface, proxyName, methods, displayName(iface), host);
        Class<?> proxy = lookup.defineClass(bytes);
        MethodHandle ctor = MethodHandles.privateLookupIn(proxy, MethodHandles.lookup())
                .findConstructor(proxy, MethodType.methodType(void.class, iface, MonitorLock.class))
                .asType(MethodType.methodType(Object.class, Object.class, MonitorLock.class));
        return new ProxyClass(null, proxy, null, null, null, ctor);
    }

    private static MethodHandles.Lookup lookupInto(Class<?> type) throws IllegalAccessException {
        Module ours = ProxyFactory.class.getModule();
        Module theirs = type.getModule();
        if (ours.isNamed() && theirs != ours) {
            // Generated classes live in the target's module and call into this package.
            ours.addReads(theirs);
            ours.addExports(ProxyFactory.class.getPackageName(), theirs);
        }
        return MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    }

    private static String displayName(Class<?> type) {
        String s = type.getSimpleName();
        return s.isEmpty() ? type.getName() : s;
    }
}
