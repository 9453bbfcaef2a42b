package org.safethread;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a class as a monitor method: when the object is wrapped with
 * {@link Monitor#of(Object)}, a call of this method through the proxy runs while holding the
 * monitor, with its arguments and result checked for {@linkplain Shareability shareability}.
 *
 * <p>A method counts as a monitor method when it, or a method it overrides, carries this
 * annotation (also across generic and covariant overrides, which the compiler links by bridge
 * methods: a bridge and the method it calls are one monitor method). Static, private and final
 * methods, and {@code finalize}, cannot be guarded and are refused by {@link Monitor#of(Object)}.
 * Methods of a class proxy that are not monitor methods, of any visibility, throw
 * {@link IllegalStateException} when called, so a monitor has no unlocked path to its state.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface MonitorMethod {
}
