/**
 * safethread: python-safethread's free-threaded object model for the JVM.
 *
 * <p>Every mutable object is either enclosed in a <b>monitor</b> ({@link org.safethread.Monitor},
 * {@link org.safethread.MonitorSpace}: one thread inside at a time, deadlocks between monitors
 * detected and broken with a {@link org.safethread.DeadlockException} to one victim) or has its
 * own thread-safe API ({@link org.safethread.SharedMap}, {@link org.safethread.DeathQueue},
 * {@link org.safethread.WeakKeyMap}); only <b>shareable</b> values cross between them
 * ({@link org.safethread.Shareability}, {@link org.safethread.Shareable}). Resources are
 * {@link org.safethread.RefCounted} (biased reference counts that cost the owning thread no
 * atomic instruction, traced {@link org.safethread.Ref} fields, {@link org.safethread.WeakRef}s)
 * and are finalized through a {@link org.safethread.FinalizerCore} that cannot resurrect its
 * owner; a cycle collector ({@link org.safethread.SafeThread#collect()}) reclaims garbage cycles.
 * {@link org.safethread.Branch} starts threads that cannot be forgotten (structured
 * concurrency with level-triggered cancellation). {@link org.safethread.SafeThread} is the
 * runtime facade: registration, safe points, the collector, statistics, and
 * {@link org.safethread.SafeThread#shutdown(java.time.Duration) shutdown} for containers.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li><b>Nulls.</b> This package is {@code @NullMarked} (JSpecify): a parameter or return value
 *       may be null only where it is annotated {@code @Nullable}. Every public method and
 *       constructor refuses a null argument that is not {@code @Nullable} with a
 *       {@link java.lang.NullPointerException} whose message names the parameter, before it
 *       changes anything.</li>
 *   <li><b>Durations</b> are {@link java.time.Duration}s; a zero or negative timeout means "do not
 *       wait".</li>
 *   <li><b>Bad input</b> gets an exception saying what was wrong and what to do
 *       ({@link java.lang.IllegalArgumentException}, {@link org.safethread.UnshareableException},
 *       {@link java.lang.IllegalStateException}), and changes nothing.</li>
 *   <li><b>Logging</b> goes through SLF4J on a small, stable set of logger names, all under
 *       {@code org.safethread} and none naming an internal class (the list is in the user
 *       guide, "Logging").</li>
 *   <li>Only this package is exported; {@code org.safethread.internal.*} is private to the
 *       library and may change in any release.</li>
 * </ul>
 */
@NullMarked
package org.safethread;

import org.jspecify.annotations.NullMarked;
