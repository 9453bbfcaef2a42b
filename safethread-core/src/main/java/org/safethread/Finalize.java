package org.safethread;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the no-argument instance method of a finalizer core's class that releases what the core
 * holds. It runs exactly once: on the finalizer thread after the owner died, or in the caller of
 * {@link SafeThread#finalizeNow(Object)}. When the core is a monitor, it runs inside the monitor.
 * An exception it throws is logged (SLF4J WARN) and counted; it does not stop other finalizers.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Finalize {
}
