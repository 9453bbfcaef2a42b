package org.safethread;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.share.ShareRules;

/**
 * What may cross between threads: values that no thread can change, or that guard themselves.
 *
 * <p>Shareable: {@code null}; boxed primitives; {@code String}; enums; {@code Class}; immutable
 * JDK value types ({@code java.time}, {@code BigInteger}, {@code BigDecimal}, {@code UUID},
 * {@code URI}, {@code Path}, {@code Locale}, {@code Pattern}, …); {@code Optional} of a
 * shareable; a record whose component values are all shareable; {@code List.of}/{@code Set.of}/
 * {@code Map.of}/{@code copyOf} collections of shareables; monitors; a lambda or method reference
 * whose captured values are all shareable; classes annotated {@link Shareable} (a counted
 * {@link RefCounted} class too: a resource with its own thread-safe API says so); the thread-safe
 * classes of {@code java.util.concurrent}; and this library's {@link DeathQueue} and
 * {@link DeathQueue.Handle}.
 *
 * <p>A holder is shareable only if what it holds is: a {@link Ref}'s referent, the value of an
 * {@code AtomicReference}, {@code AtomicStampedReference} or {@code AtomicMarkableReference},
 * the elements of an {@code AtomicReferenceArray} and of the collections and maps of
 * {@code java.util.concurrent}. A holder is judged by what it holds when it is checked; what is
 * stored into it later is the program's responsibility.
 *
 * <p>Not shareable: arrays, mutable or view collections ({@code Collections.unmodifiableList}
 * is a view), and plain objects (a {@code RefCounted} class without {@code @Shareable} among them).
 *
 * <p>The decision for a class is cached, so checking a value of an always-shareable class costs
 * a few nanoseconds; records, collections, optionals, lambdas and holders are checked element by
 * element, at any depth (iteratively; a refusal names the offending class and the first steps of
 * its path). Checking never calls a method of a user class.
 */
public final class Shareability {
    private Shareability() {
    }

    /**
     * @param o any value, or null (which is shareable)
     * @return whether {@code o} may be shared between threads
     */
    public static boolean isShareable(@Nullable Object o) {
        return ShareRules.isShareable(o);
    }

    /**
     * Why {@code o} is not shareable, for error messages.
     *
     * @param o any value, or null (which is shareable)
     * @return null if shareable, else a description of the part that is not and what to do
     */
    public static @Nullable String whyNotShareable(@Nullable Object o) {
        return ShareRules.whyNot(o);
    }

    /**
     * Whether instances of exactly class {@code c} can be shareable (a final core type, say).
     *
     * @param c a class
     * @return false if no instance of {@code c} is shareable
     * @throws NullPointerException if {@code c} is null
     */
    public static boolean isShareableClass(Class<?> c) {
        Objects.requireNonNull(c, "Shareability.isShareableClass: c is null");
        return ShareRules.canBeShareable(c);
    }
}
