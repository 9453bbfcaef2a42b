package org.safethread;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the field that holds an object's finalizer core: the state that its cleanup needs, kept
 * apart from the object so that finalization can never resurrect it (python-safethread's
 * {@code __finalizeattrs__}).
 *
 * <p>The field must be {@code final} and an instance field. The core's class must be
 * {@linkplain Shareability shareable}, have exactly one {@link Finalize} method, and the core
 * must not reach its owner through its fields. When the owner dies (a {@link RefCounted} whose
 * last reference is released or that is found in a garbage cycle, or an object given to
 * {@link SafeThread#register(Object)} that the JVM finds unreachable), the core's
 * {@code @Finalize} method runs exactly once on the runtime's finalizer thread.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface FinalizerCore {
}
