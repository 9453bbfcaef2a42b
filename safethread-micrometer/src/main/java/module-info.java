/**
 * Micrometer binding for safethread: {@link org.safethread.micrometer.SafeThreadMetrics} binds
 * the runtime's statistics to a {@code MeterRegistry}.
 */
module org.safethread.micrometer {
    requires transitive org.safethread;
    requires transitive micrometer.core;
    exports org.safethread.micrometer;
}
