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
