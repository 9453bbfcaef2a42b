package org.safethread;

/**
 * A value that is not {@linkplain Shareability shareable} was about to cross between threads: an
 * argument or result of a monitor method, the result of {@link Monitor#leave}, a
 * {@link DeathQueue} payload or a finalizer core. The message names the place and the value's
 * class, and says how to make it shareable. The refused operation changed nothing.
 */
public class UnshareableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was refused, where, and what to do instead
     */
    public UnshareableException(String message) {
        super(message);
    }
}
