package org.safethread.internal.monitor;

/** Runtime access to monitor proxies (for finalizer cores that are monitors, and checks). */
public final class MonitorAccess {
    private MonitorAccess() {
    }

    /** Code to run on a monitor's target while holding the monitor. */
    @FunctionalInterface
    public interface Body {
        void run(Object target) throws Throwable;
    }

    /** @return whether {@code o} is a monitor proxy */
    public static boolean isMonitor(Object o) {
        return o instanceof MonitorProxy;
    }

    /** @return the object a monitor proxy guards */
    public static Object targetOf(Object proxy) {
        return ((MonitorProxy) proxy).__safethread_target();
    }

    /**
     * The object a monitor stands for wherever the runtime watches, registers or finalizes an
     * object ({@code DeathQueue.watch}, {@code SafeThread.register}, {@code finalizeNow}): the
     * target it guards. A proxy is not the object: a class proxy's own fields are never-initialised
     * copies, an interface proxy's are plumbing; and its life is not the target's (the target may
     * outlive it, or, when {@code RefCounted}, die while it is still referenced).
     *
     * @return {@code o}'s target if {@code o} is a monitor proxy, else {@code o}
     */
    public static Object standIn(Object o) {
        return o instanceof MonitorProxy ? ((MonitorProxy) o).__safethread_target() : o;
    }

    /** @return a monitor proxy's lock */
    public static MonitorLock lockOf(Object proxy) {
        return ((MonitorProxy) proxy).__safethread_lock();
    }

    /** Runs {@code body} on the proxy's target inside the monitor. */
    public static void runInside(Object proxy, Body body) throws Throwable {
        MonitorLock m = lockOf(proxy);
        Object token = ProxySupport.enter(m);
        try {
            body.run(targetOf(proxy));
        } finally {
            ProxySupport.exit(m, token);
        }
    }
}
