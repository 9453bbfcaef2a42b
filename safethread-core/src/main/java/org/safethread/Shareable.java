package org.safethread;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The annotated class vouches that its instances are safe to share between threads: immutable,
 * or with their own thread-safe API. Instances may then cross a monitor's wall as arguments or
 * results, be payloads of a {@link DeathQueue}, and serve as finalizer cores.
 *
 * <p>The annotation applies to exactly the annotated class; it is not inherited, because a
 * subclass may add mutable state. Nothing is checked: the class takes responsibility.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Shareable {
}
