package org.safethread.internal.metrics;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.StatsSnapshot;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers {@link SafeThreadRuntimeMXBean} on the platform MBean server as {@value #OBJECT_NAME}
 * when {@code safethread.jmx=true} (opt-in: an MBean is visible to every JMX client of the JVM).
 * Called from the static initializers of the public entry classes, so the bean appears as soon
 * as the library is first used. A failure to register (a second copy of the library in another
 * class loader already took the name, or no JMX in this runtime) is logged and otherwise
 * ignored: monitoring must never break the application.
 */
public final class Jmx {
    /** The bean's name. */
    public static final String OBJECT_NAME = "org.safethread:type=Runtime";

    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.JMX);
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private Jmx() {
    }

    /** Registers the bean once, if {@code safethread.jmx} is true; otherwise does nothing. */
    public static void registerIfEnabled() {
        if (!Settings.jmx() || DONE.get() || !DONE.compareAndSet(false, true)) {
            return;
        }
        try {
            register(ManagementFactory.getPlatformMBeanServer());
        } catch (InstanceAlreadyExistsException e) {
            LOG.warn("safethread: not registering the JMX bean {}: the name is taken (another copy of "
                    + "safethread in this JVM?)", OBJECT_NAME);
        } catch (JMException | RuntimeException | LinkageError e) {
            LOG.warn("safethread: could not register the JMX bean {}", OBJECT_NAME, e);
        }
    }

    /**
     * Unregisters the bean if {@link #registerIfEnabled()} registered it (for
     * {@code SafeThread.shutdown}: the platform MBean server would otherwise keep the library's
     * class loader reachable). It is not registered again afterwards.
     */
    public static void unregister() {
        if (!DONE.get() || !Settings.jmx()) {
            return;
        }
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(OBJECT_NAME);
            if (server.isRegistered(name) && ownBean(server, name)) {
                server.unregisterMBean(name);
            }
        } catch (JMException | RuntimeException | LinkageError e) {
            LOG.warn("safethread: could not unregister the JMX bean {}", OBJECT_NAME, e);
        }
    }

    /** @return whether the bean under {@code name} is this copy's (not another class loader's) */
    private static boolean ownBean(MBeanServer server, ObjectName name) throws JMException {
        return server.getClassLoaderFor(name) == Bean.class.getClassLoader();
    }

    /**
     * Registers the bean on {@code server}.
     *
     * @param server where to register
     * @throws JMException if the server refuses it
     */
    static void register(MBeanServer server) throws JMException {
        server.registerMBean(new Bean(), new ObjectName(OBJECT_NAME));
    }

    /** Each attribute reads the counters when it is read. */
    private static final class Bean implements SafeThreadRuntimeMXBean {
        private static StatsSnapshot s() {
            return Stats.snapshot();
        }

        @Override public long getDeadlocksBroken() { return s().deadlocksBroken(); }
        @Override public long getCollections() { return s().collections(); }
        @Override public long getObjectsExamined() { return s().objectsExamined(); }
        @Override public long getObjectsCollected() { return s().objectsCollected(); }
        @Override public long getCollectionPauseTotalNanos() { return s().collectionPauseTotalNanos(); }
        @Override public long getCollectionPauseMaxNanos() { return s().collectionPauseMaxNanos(); }
        @Override public long getFinalizersRun() { return s().finalizersRun(); }
        @Override public long getFinalizerFailures() { return s().finalizerFailures(); }
        @Override public long getFinalizerStalls() { return s().finalizerStalls(); }
        @Override public long getPendingFinalizers() { return s().pendingFinalizers(); }
        @Override public long getObjectsDied() { return s().objectsDied(); }
        @Override public long getPendingMerges() { return s().pendingMerges(); }
        @Override public long getLeaksDetected() { return s().leaksDetected(); }
        @Override public long getOverReleases() { return s().overReleases(); }
        @Override public long getContendedEntries() { return s().contendedEntries(); }
        @Override public int getLiveRuntimeThreads() { return s().liveRuntimeThreads(); }
    }
}
