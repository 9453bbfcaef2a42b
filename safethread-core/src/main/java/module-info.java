/**
 * safethread: python-safethread's free-threaded object model for the JVM. Exports {@code
 * org.safethread} only; everything under {@code org.safethread.internal} is private to the
 * library. Requires {@code jdk.unsupported} (the monitor proxy factory allocates proxies
 * through {@code sun.reflect.ReflectionFactory}) and {@code jdk.jfr} (flight-recorder events).
 */
module org.safethread {
    requires org.slf4j;
    requires org.objectweb.asm;
    requires jdk.jfr;
    requires java.management;
    requires static org.jspecify;
    requires jdk.unsupported;
    exports org.safethread;
    // The JMX introspector reads the MXBean interface reflectively (safethread.jmx=true).
    exports org.safethread.internal.metrics to java.management;
}
