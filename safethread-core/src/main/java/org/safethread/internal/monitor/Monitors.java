package org.safethread.internal.monitor;

/** Entry points for {@link org.safethread.Monitor#of} and {@code MonitorSpace.monitor}. */
public final class Monitors {
    private Monitors() {
    }

    /** @return a class proxy of {@code target}, a monitor of its own */
    public static <T> T classProxy(T target) {
        return classProxy(target, null);
    }

    /** @return an interface proxy of {@code target}, a monitor of its own */
    public static Object interfaceProxy(Object target, Class<?> iface) {
        return interfaceProxy(target, iface, null);
    }

    /**
     * @param space the shared lock of the space to join ({@link MonitorLock#space}), or null for a
     *     monitor of its own
     * @return a class proxy of {@code target}
     */
    @SuppressWarnings("unchecked")
    public static <T> T classProxy(T target, MonitorLock space) {
        MonitorLock lock = lockFor(target, space);
        Object proxy = ProxyFactory.classProxy(target, lock);
        GuardedTargets.claim(target, lock, space == null ? "Monitor.of" : "MonitorSpace.monitor");
        return (T) proxy;
    }

    /**
     * @param space the shared lock of the space to join, or null for a monitor of its own
     * @return an interface proxy of {@code target}
     */
    public static Object interfaceProxy(Object target, Class<?> iface, MonitorLock space) {
        MonitorLock lock = lockFor(target, space);
        Object proxy = ProxyFactory.interfaceProxy(target, iface, lock);
        GuardedTargets.claim(target, lock, space == null ? "Monitor.of" : "MonitorSpace.monitor");
        return proxy;
    }

    /**
     * Refuses class proxies for every subclass of {@code base} (a class of a layer above; its
     * class initializer). {@code Monitor.of(target, Iface.class)} still works for them.
     *
     * @param why what such a class is and why no class proxy can guard it, to follow "X is", e.g.
     *     "a RefCounted, whose public final count methods a class proxy cannot guard"
     */
    public static void refuseClassProxies(Class<?> base, String why) {
        ProxyMethods.refuseSubclassesOf(base, why);
    }

    /** @return the shared lock of a new, empty monitor space */
    public static MonitorLock newSpace(String name) {
        return MonitorLock.newSpace(name);
    }

    private static MonitorLock lockFor(Object target, MonitorLock space) {
        String name = MonitorNames.next(target.getClass());
        return space == null ? new MonitorLock(name) : new MonitorLock(name, space);
    }
}
