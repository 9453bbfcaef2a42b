package org.safethread.internal.monitor;

/**
 * Implemented by every generated monitor proxy. Gives the runtime (never users: the package is
 * not exported) the proxy's lock and target.
 */
public interface MonitorProxy {
    /** @return the proxy's monitor lock */
    MonitorLock __safethread_lock();

    /** @return the object the proxy guards */
    Object __safethread_target();
}
