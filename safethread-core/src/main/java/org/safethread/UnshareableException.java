package org.safethread;

import org.jspecify.annotations.Nullable;

/**
 * A value that is not {@linkplain Shareability shareable} was about to cross between threads: an
 * argument or result of a monitor method, the result of {@link Monitor#leave}, a
 * {@link DeathQueue} payload or a finalizer core. The message names the place and the value's
 * class, and says how to make it shareable.
 *
 * <p>What a refusal leaves behind depends on where the value was refused:
 * <ul>
 *   <li>an <b>argument</b> of a monitor method, a {@code DeathQueue} payload or a finalizer core is
 *       refused before anything happens: the method did not run (the monitor was not entered),
 *       nothing was enqueued or registered, nothing changed;</li>
 *   <li>a <b>result</b> of a monitor method is refused after the method ran, before the monitor
 *       is left: the method's effects stay (a method that incremented a counter and returned an
 *       {@code ArrayList} threw, and the counter was incremented); likewise the result of a
 *       {@link Monitor#leave} action is refused after the action ran. Return shareable values
 *       from methods that change state.</li>
 * </ul>
 * A monitor method returning or passing on its own target ({@code return this;}) is not refused:
 * its monitor is handed out instead (see {@link Monitor}).
 */
public class UnshareableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was refused, where, and what to do instead (or null, as for any exception)
     */
    public UnshareableException(@Nullable String message) {
        super(message);
    }
}
